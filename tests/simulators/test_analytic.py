"""The analytic cost model agrees with the cycle-level simulator within 3% on random masks, every spec and format."""
import numpy as np
import pytest

from simulators.analytic import layer_cost, model_cost
from simulators.engine import simulate
from simulators.spec import load_spec
from simulators.workload import LayerShape, random_weights

from ..conftest import SPECS

SHAPES = [LayerShape("a", 2048, 512), LayerShape("b", 2048, 512), LayerShape("c", 1024, 1024)]
CASES = [(p, f) for p in SPECS for f in load_spec(p).formats]


@pytest.mark.parametrize("spec_path,fmt_name", CASES, ids=[f"{p.stem}-{f}" for p, f in CASES])
def test_analytic_within_3_percent(spec_path, fmt_name):
    spec = load_spec(spec_path).without_host()  # the device pipeline; host issue is a max on top (test_engine)
    fmt = spec.format(fmt_name)
    rng = np.random.default_rng(1)
    for density in (0.5, 0.15):
        enc = [fmt.encode(random_weights(s.rows, s.cols, density, fmt, spec.weights.dtype, rng), spec.weights.dtype,
                          spec.weights.alignment_bytes) for s in SHAPES]
        sim = simulate([s.name for s in SHAPES], enc, spec)
        analytic = model_cost([(s.rows, s.cols, e.row_nnz.sum() / s.weights, fmt_name) for s, e in zip(SHAPES, enc)],
                              spec)["total_cycles"]
        assert analytic == pytest.approx(sim.total_cycles, rel=0.03), (density, analytic, sim.total_cycles)
        expected_bytes = sum(layer_cost(s.rows, s.cols, e.row_nnz.sum() / s.weights, fmt_name, spec)["bytes"][0]
                             for s, e in zip(SHAPES, enc))
        assert expected_bytes == pytest.approx(sim.total_bytes, rel=0.03)


def test_sparser_is_never_slower_to_read():
    spec = load_spec([p for p in SPECS if p.stem == "dsp"][0])
    c = layer_cost(4096, 1024, np.linspace(0.05, 1, 20), "csr", spec)
    assert np.all(np.diff(c["bytes"]) > 0) and np.all(np.diff(c["read_cycles"]) >= 0)
