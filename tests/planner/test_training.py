"""The torch stage on a tiny model: cubic schedule, gradual CS / magnitude pruning to the plan, parametrised masks,
export round trip, and clear errors for a plan that does not fit the model."""
import pytest
import torch
import yaml

from planner.layers import calibrate, find_layers
from planner.plan import make_plan
from planner.plan_io import plan_document
from planner.training import PlanPruner, cubic_density
from planner.training import masking
from planner.training.export import export_model, load_export, read_export, simulate_export
from simulators.spec import parse_spec
from tests.conftest import SPECS
from tests.fixtures.models import TinyAsr

DSP = parse_spec(yaml.safe_load([p for p in SPECS if p.stem == "dsp"][0].read_text()), "dsp")


def test_cubic_schedule():
    assert cubic_density(0, 0.2, 0, 100) == 1.0
    assert cubic_density(100, 0.2, 0, 100) == pytest.approx(0.2)
    assert cubic_density(50, 0.2, 0, 100) == pytest.approx(0.2 + 0.8 * 0.125)
    assert cubic_density(500, 0.2, 0, 100) == pytest.approx(0.2)


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    torch.manual_seed(0)
    model = TinyAsr(12, 32, 10)
    calib = [torch.randn(1, 20, 12) for _ in range(4)]
    layers = calibrate(model, find_layers(model), calib)
    plan = make_plan(layers, [DSP], {"dsp": 1e9}, {"dsp": 0.45 * sum(l.weight.numel() for l in layers)},
                     cache_dir=tmp_path_factory.mktemp("c"), progress=False)
    return model, calib, plan_document(plan, {"name": "tiny"}, {})


@pytest.mark.parametrize("select", ["cs", "magnitude"])
def test_gradual_pruning_reaches_the_plan(planned, select):
    model0, calib, doc = planned
    model = TinyAsr(12, 32, 10)
    model.load_state_dict(model0.state_dict())
    pruner = PlanPruner(model, doc, calib, select=select, start=0, end=12, frequency=4).prepare()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    seen = []
    for _ in range(15):
        x = torch.randn(2, 10, 12)
        loss = model(x).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        pruner.step()
        seen.append(pruner.sparsity())
    assert seen[0] == 0.0 and seen[-1] > 0.3 and all(b >= a - 1e-9 for a, b in zip(seen, seen[1:]))
    for l in doc["layers"]:
        assert int(masking.current_mask(model, l["name"]).sum()) == l["nonzeros"]
    pruner.squash_mask()
    assert not any("parametrizations" in n for n, _ in model.named_parameters())
    total = sum(l["rows"] * l["cols"] for l in doc["layers"])
    zeros = sum(int((dict(model.named_parameters())[l["name"]] == 0).sum()) for l in doc["layers"])
    assert zeros == total - sum(l["nonzeros"] for l in doc["layers"])


def test_plan_for_another_model_is_refused(planned):
    _, calib, doc = planned
    with pytest.raises(ValueError, match="made for another model"):
        PlanPruner(TinyAsr(12, 16, 10), doc, calib)


@pytest.mark.parametrize("dtype", ["fp32", "int8"])
def test_export_round_trip(planned, tmp_path, dtype):
    model0, _, doc = planned
    model = TinyAsr(12, 32, 10)
    model.load_state_dict(model0.state_dict())
    pruner = PlanPruner(model, doc, select="magnitude", start=0, end=1, frequency=1).prepare()
    pruner.step()
    pruner.squash_mask()
    export_model(model, doc, DSP, tmp_path / "exp", dtype)
    back = load_export(TinyAsr(12, 32, 10), tmp_path / "exp")
    back.lstm.load_state_dict({k: v for k, v in back.lstm.state_dict().items()})
    params = dict(model.named_parameters())
    with torch.no_grad():  # biases are not exported: copy them
        for n, p in back.named_parameters():
            if "bias" in n:
                p.copy_(params[n])
    x = torch.randn(2, 9, 12)
    if dtype == "fp32":
        assert torch.equal(back(x), model(x))
    else:  # int8 export equals the per-row quantised masked model
        for l in doc["layers"]:
            w, wb = params[l["name"]].detach(), dict(back.named_parameters())[l["name"]].detach()
            assert torch.equal(w == 0, wb == 0)
            scale = w.abs().amax(1, keepdim=True) / 127  # within half a quantisation step (one for tiny weights kept as +-1)
            assert bool(((wb - w).abs() <= torch.maximum(scale / 2 + 1e-7, torch.where(w != 0, scale, 0 * scale))).all())
    sim = simulate_export(tmp_path / "exp", DSP)
    manifest, layers = read_export(tmp_path / "exp")
    assert sim.total_bytes == sum((tmp_path / "exp" / e["file"]).stat().st_size for e in manifest["layers"])
    (tmp_path / "exp" / "000.bin").write_bytes(b"\0" * 10)
    with pytest.raises(ValueError, match="corrupt"):
        read_export(tmp_path / "exp")
