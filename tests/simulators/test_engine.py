"""Host-issued calls and per-row decode cost, in the cycle-level simulator and the analytic model alike."""
import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from simulators.analytic import layer_cost, model_cost
from simulators.engine import simulate
from simulators.spec import parse_spec, set_fields
from simulators.workload import random_weights

from ..conftest import SPECS

GPU = yaml.safe_load([p for p in SPECS if p.stem == "gpu"][0].read_text())
DSP = yaml.safe_load([p for p in SPECS if p.stem == "dsp"][0].read_text())


def _spec(data, **fields):
    return parse_spec(set_fields(data, fields.items(), "test", create=True), "test")


def _encode(spec, fmt_name, rows, cols, density, seed=0):
    fmt = spec.format(fmt_name)
    w = random_weights(rows, cols, density, fmt, spec.weights.dtype, np.random.default_rng(seed))
    return fmt.encode(w, spec.weights.dtype, spec.weights.alignment_bytes)


def _no_host(data):
    """Field values that switch the host issue off (as :meth:`HardwareSpec.without_host` does)."""
    return {"compute.host_issue_cycles": 0, "formats.csr.host_setup_cycles": 0, "formats.nm.host_setup_cycles": 0}


@given(host=st.floats(0, 2e6), density=st.sampled_from([0.05, 0.3, 1.0]))
def test_a_layer_costs_the_slower_of_host_issue_and_device(host, density):
    """cycles = max(host issue, device time), per layer, in both models."""
    device_spec = _spec(GPU).without_host()
    spec = _spec(GPU, **{**_no_host(GPU), "compute.host_issue_cycles": host})
    fname = "dense" if density == 1.0 else "csr"
    enc = [_encode(spec, fname, 512, 256, density, s) for s in range(2)]
    device = simulate(["a", "b"], enc, device_spec).table["cycles"].to_numpy()
    table = simulate(["a", "b"], enc, spec).table
    assert np.allclose(table["cycles"], np.maximum(device, host))
    assert np.allclose(table["host_cycles"], host)
    an_device = model_cost([(512, 256, density, fname)] * 2, device_spec)["cycles"]
    an = model_cost([(512, 256, density, fname)] * 2, spec)["cycles"]
    assert np.allclose(an, np.maximum(an_device, host))
    single = layer_cost(512, 256, density, fname, spec)["cycles"][0]
    assert single == pytest.approx(max(host, layer_cost(512, 256, density, fname, device_spec)["cycles"][0]))


def test_format_host_setup_adds_to_the_issue_time():
    spec = _spec(GPU, **{"compute.host_issue_cycles": 1000, "formats.csr.host_setup_cycles": 2e6})
    enc = _encode(spec, "csr", 256, 256, 0.1)
    t = simulate(["a"], [enc], spec).table.iloc[0]
    assert t.host_cycles == 2e6 + 1000 and t.cycles == 2e6 + 1000


def test_specs_without_a_host_are_unchanged():
    spec = _spec(DSP)
    enc = _encode(spec, "csr", 1024, 512, 0.3)
    t = simulate(["a"], [enc], spec).table.iloc[0]
    assert t.host_cycles == 0 and t.cycles > 0


@pytest.mark.parametrize("batch", [1, 8, 40])
def test_row_rate_adds_rows_per_column_tile(batch):
    """decode_rows_per_cycle adds rows / rate cycles, once per batch tile where a batched rate applies."""
    base = _spec(GPU, **{**_no_host(GPU), "formats.csr.decode_rows_per_cycle": 1.0})
    rated = _spec(GPU, **{**_no_host(GPU), "formats.csr.decode_rows_per_cycle": 0.25})
    enc = _encode(base, "csr", 2048, 512, 0.2)
    passes = -(-batch // 16) if batch > 1 else 1
    extra = 2048 * passes * (1 / 0.25 - 1 / 1.0)
    d0 = simulate(["a"], [enc], base, batch=batch).table.decode_cycles.iloc[0]
    d1 = simulate(["a"], [enc], rated, batch=batch).table.decode_cycles.iloc[0]
    assert d1 - d0 == pytest.approx(extra)
    a0 = layer_cost(2048, 512, 0.2, "csr", base, batch)["decode_cycles"][0]
    a1 = layer_cost(2048, 512, 0.2, "csr", rated, batch)["decode_cycles"][0]
    assert a1 - a0 == pytest.approx(extra)
