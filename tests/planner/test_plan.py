"""The closed loop's invariants: a returned plan never exceeds any budget as re-simulated by the cycle-level
simulator on its real masks; infeasible budgets raise a clear error; same inputs give the same plan bytes."""
from pathlib import Path

import pytest
import torch
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from planner.allocate import Infeasible
from planner.layers import calibrate, find_layers
from planner.plan import Bounds, make_plan
from planner.plan_io import read_plan, write_plan
from planner.quantize import to_storage
from simulators.engine import simulate
from simulators.spec import parse_spec
from tests.conftest import SPECS
from tests.fixtures.models import TinyAsr

SPEC_DATA = {p.stem: yaml.safe_load(p.read_text()) for p in SPECS}


def _layers(hidden, din, seed):
    torch.manual_seed(seed)
    m = TinyAsr(din, hidden, 10)
    layers = find_layers(m)
    calibrate(m, layers, [torch.randn(1, 20, din) for _ in range(4)])
    return layers


def _resimulate(plan, spec, layers):
    names = [l.name for l in plan.layers]
    enc = [spec.format(l.format).encode(to_storage(l.weights, spec.weights.dtype), spec.weights.dtype,
                                        spec.weights.alignment_bytes) for l in plan.layers]
    return simulate(names, enc, spec)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec_name=st.sampled_from(["dsp", "cpu", "npu", "mcu"]), hidden=st.sampled_from([16, 32]),
       tile=st.sampled_from(["1 KiB", "4 KiB"]), decode=st.floats(0.25, 8), lat_frac=st.floats(0.3, 1.5),
       mem_frac=st.floats(0.15, 1.2), seed=st.integers(0, 3))
def test_plan_never_exceeds_budgets(tmp_path_factory, spec_name, hidden, tile, decode, lat_frac, mem_frac, seed):
    data = yaml.safe_load(yaml.safe_dump(SPEC_DATA[spec_name]))
    data["weights"]["tile"] = tile
    for f in data["formats"].values():
        if "decode_entries_per_cycle" in f:
            f["decode_entries_per_cycle"] = decode
    spec = parse_spec(data, "random")
    layers = _layers(hidden, 12, seed)
    dense = _resimulate_dense(layers, spec)
    lat, mem = dense.total_cycles * lat_frac, dense.total_bytes * mem_frac
    cache = tmp_path_factory.getbasetemp() / "curves"
    try:
        plan = make_plan(layers, [spec], {spec.name: lat}, {spec.name: mem}, cache_dir=cache, progress=False)
    except Infeasible as e:
        event("infeasible")
        assert "cannot be met" in str(e)
        return
    except ValueError as e:
        assert "closed-loop rounds" in str(e)
        return
    event("planned")
    sim = _resimulate(plan, spec, layers)
    assert sim.total_cycles <= lat and sim.total_bytes <= mem
    assert sim.total_cycles == pytest.approx(plan.targets[spec.name]["simulated"]["cycles"])
    for lp in plan.layers:
        assert spec.format(lp.format).supports(lp.mask)


def _resimulate_dense(layers, spec):
    enc = [spec.format("dense").encode(to_storage(l.weight.numpy(), spec.weights.dtype), spec.weights.dtype,
                                       spec.weights.alignment_bytes) for l in layers]
    return simulate([l.name for l in layers], enc, spec)


def test_multi_target_plan_fits_every_target(tmp_path):
    specs = [parse_spec(SPEC_DATA["dsp"], "dsp"), parse_spec(SPEC_DATA["cpu"], "cpu")]
    layers = _layers(32, 12, 0)
    lat = {s.name: _resimulate_dense(layers, s).total_cycles * 1.2 for s in specs}
    mem = {s.name: _resimulate_dense(layers, s).total_bytes * 0.5 for s in specs}
    plan = make_plan(layers, specs, lat, mem, cache_dir=tmp_path, progress=False)
    for s in specs:
        sim = _resimulate(plan, s, layers)
        assert sim.total_cycles <= lat[s.name] and sim.total_bytes <= mem[s.name]
    assert {l.format for l in plan.layers} <= set(specs[0].formats) & set(specs[1].formats)


def test_same_inputs_same_plan_bytes_and_round_trip(tmp_path):
    spec = parse_spec(SPEC_DATA["dsp"], "dsp")
    outs = []
    for i in range(2):
        layers = _layers(32, 12, 1)
        dense = _resimulate_dense(layers, spec)
        plan = make_plan(layers, [spec], {"dsp": dense.total_cycles * 2}, {"dsp": dense.total_bytes * 0.4},
                         cache_dir=tmp_path / f"c{i}", progress=False)
        paths = write_plan(plan, tmp_path / f"p{i}" / "plan.yaml", {"name": "tiny"}, {"hash": "x"})
        outs.append([Path(p).read_bytes() for p in paths.values()])
    assert outs[0] == outs[1]
    doc, masks = read_plan(tmp_path / "p0" / "plan.yaml")
    assert [l["name"] for l in doc["layers"]] == list(masks)
    assert all(int(m.sum()) == l["nonzeros"] for l, m in zip(doc["layers"], masks.values()))


def test_bounds_are_respected_and_checked(tmp_path):
    spec = parse_spec(SPEC_DATA["dsp"], "dsp")
    layers = _layers(32, 12, 2)
    dense = _resimulate_dense(layers, spec)
    b = Bounds(min_density=0.3, keep_dense=["output.*"], per_layer_min={"lstm.weight_hh_*": 0.5})
    plan = make_plan(layers, [spec], {"dsp": dense.total_cycles * 3}, {"dsp": dense.total_bytes * 0.6}, b,
                     cache_dir=tmp_path, progress=False)
    by = {l.name: l for l in plan.layers}
    assert by["output.weight"].format == "dense"
    assert all(l.density >= 0.3 - 1e-9 for l in plan.layers)
    assert by["lstm.weight_hh_l0"].density >= 0.5 - 1e-9
    with pytest.raises(ValueError, match="matches no prunable layer"):
        make_plan(layers, [spec], {"dsp": 1e9}, {"dsp": 1e9}, Bounds(keep_dense=["nope*"]), progress=False)
    with pytest.raises(ValueError, match="must be in \\(0, 1\\]"):
        make_plan(layers, [spec], {"dsp": 1e9}, {"dsp": 1e9}, Bounds(min_density=1.5), progress=False)
    with pytest.raises(ValueError, match="must be a positive number"):
        make_plan(layers, [spec], {"dsp": 0.0}, {"dsp": 1e9}, progress=False)


def test_reading_other_or_newer_plans_is_refused(tmp_path):
    p = tmp_path / "plan.yaml"
    p.write_text("schema: sparsity-plan\nversion: 2\nmasks_file: x.npz\n")
    with pytest.raises(ValueError, match="version 2; this planner reads up to 1"):
        read_plan(p)
    p.write_text("name: something else\n")
    with pytest.raises(ValueError, match="not a sparsity plan"):
        read_plan(p)
