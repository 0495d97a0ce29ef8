"""`planner plan` as a user runs it: a plan and its companions, JSON, and one clear line for each bad input with
no plan file left behind."""
import json

import pytest
import torch
from click.testing import CliRunner

from planner.cli import main

from .conftest import SPECS

DSP = str([p for p in SPECS if p.stem == "dsp"][0])
CPU = str([p for p in SPECS if p.stem == "cpu"][0])


@pytest.fixture
def calib(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "calib.pt"
    torch.save([torch.randn(1, 30, 24) for _ in range(4)], path)
    return str(path)


def _plan(tmp_path, calib, *extra, model="tests.fixtures.models:tiny_asr"):
    out = tmp_path / "out" / "plan.yaml"
    args = ["plan", "--hw", DSP, "--model", model, "--calib", calib, "--out", str(out),
            "--cache-dir", str(tmp_path / "cache"), "--quiet", *extra]
    return CliRunner().invoke(main, args), out


def test_plan_writes_three_files_and_json(tmp_path, calib):
    r, out = _plan(tmp_path, calib, "--memory-mb", "0.02", "--latency-cycles", "20000")
    assert r.exit_code == 0, r.output
    assert "lstm.weight_hh_l0" in r.output and "dsp: latency" in r.output
    assert out.exists() and out.with_name("plan.masks.npz").exists()
    ao = json.loads(out.with_name("plan.torch_ao.json").read_text())
    assert {e["tensor_fqn"] for e in ao} >= {"lstm.weight_ih_l0", "output.weight"}
    r, _ = _plan(tmp_path, calib, "--memory-mb", "0.02", "--latency-cycles", "20000", "--json", "--hw", CPU)
    doc = json.loads(r.stdout)
    assert set(doc["targets"]) == {"dsp", "cpu"}
    assert doc["targets"]["cpu"]["simulated"]["bytes"] <= 0.02 * 2**20


BAD = [
    (["--model", "tests.fixtures.models:no_layers"], "no prunable layer"),
    (["--model", "tests.fixtures.models:broken"], "raised RuntimeError: weights server unreachable"),
    (["--model", "tests.fixtures.models:nan_model"], "NaN"),
    (["--model", "tests.fixtures.models:missing"], "cannot import model factory"),
    (["--model", "nothing_here"], "unknown model"),
    (["--latency-ms", "0"], "--latency-ms must be positive"),
    (["--memory-mb", "-3"], "--memory-mb must be positive"),
    (["--min-density", "2"], "must be in (0, 1]"),
    (["--keep-dense", "encoder.*"], "matches no prunable layer"),
    (["--formats", "zip"], "not supported"),
    (["--memory-mb", "0.0001"], "memory budget"),
]


@pytest.mark.parametrize("extra,message", BAD, ids=[m for _, m in BAD])
def test_bad_input_is_clear_and_leaves_no_plan(tmp_path, calib, extra, message):
    args = list(extra)
    model = "tests.fixtures.models:tiny_asr"
    if "--model" in args:
        model = args[args.index("--model") + 1]
        del args[args.index("--model"): args.index("--model") + 2]
    r, out = _plan(tmp_path, calib, *args, model=model)
    assert r.exit_code != 0
    assert "Traceback" not in r.output and message in r.output, r.output
    assert not out.parent.exists() or not any(out.parent.iterdir())


def test_bad_calibration_and_checkpoint(tmp_path, calib):
    empty = tmp_path / "empty.pt"
    torch.save([], empty)
    r, _ = _plan(tmp_path, str(empty))
    assert r.exit_code != 0 and "holds no data" in r.output
    ckpt = tmp_path / "wrong.pt"
    torch.save({"output.weight": torch.zeros(3, 3)}, ckpt)
    r, _ = _plan(tmp_path, calib, "--checkpoint", str(ckpt))
    assert r.exit_code != 0 and "does not match the model" in r.output and "missing lstm.weight_ih_l0" in r.output
    ts = tmp_path / "not_ts.pt"
    ts.write_bytes(b"garbage")
    r, _ = _plan(tmp_path, calib, model=str(ts))
    assert r.exit_code != 0 and "not a TorchScript file" in r.output


def test_calibration_of_the_wrong_shape(tmp_path):
    bad = tmp_path / "bad.pt"
    torch.save([torch.randn(1, 30, 7)], bad)
    r, _ = _plan(tmp_path, str(bad))
    assert r.exit_code != 0 and "forward pass failed on calibration input 0" in r.output


def test_torchscript_model_plans_like_its_eager_twin(tmp_path, calib):
    """TorchScript layers are found by their original module types and calibrated through the dispatcher."""
    from tests.fixtures.models import tiny_asr

    path = tmp_path / "tiny.ts"
    torch.jit.script(tiny_asr()).save(str(path))
    r, out = _plan(tmp_path, calib, "--memory-mb", "0.025", "--sensitivity", "uniform", model=str(path))
    assert r.exit_code == 0, r.output
    ts_plan = __import__("yaml").safe_load(out.read_text())
    r, out2 = _plan(tmp_path / "eager", calib, "--memory-mb", "0.025", "--sensitivity", "uniform")
    assert r.exit_code == 0, r.output
    eager_plan = __import__("yaml").safe_load(out2.read_text())
    assert ts_plan["layers"] == eager_plan["layers"]
    r = CliRunner().invoke(main, ["apply", "--plan", str(out), "--calib", calib, "--out", str(tmp_path / "ts.pt")])
    assert r.exit_code == 0, r.output
    state = torch.load(tmp_path / "ts.pt", weights_only=True)
    kept = sum(int((state[l["name"]] != 0).sum()) for l in ts_plan["layers"])
    assert kept == ts_plan["totals"]["nonzeros"]


def test_apply_masks_refits_and_never_overwrites(tmp_path, calib):
    from planner.plan_io import read_plan
    from tests.fixtures.models import tiny_asr

    r, out = _plan(tmp_path, calib, "--memory-mb", "0.02")
    assert r.exit_code == 0, r.output
    pruned = tmp_path / "pruned.pt"
    args = ["apply", "--plan", str(out), "--calib", calib, "--out", str(pruned)]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    state = torch.load(pruned, weights_only=True)
    _, masks = read_plan(out)
    original = tiny_asr().state_dict()
    for name, mask in masks.items():
        w = state[name]
        assert torch.equal(w != 0, torch.from_numpy(mask))
        if not mask.all():  # kept weights were refit, not just copied
            assert not torch.allclose(w[torch.from_numpy(mask)], original[name][torch.from_numpy(mask)])
    r = CliRunner().invoke(main, args)
    assert r.exit_code != 0 and "exists" in r.output
    other = tmp_path / "out" / "other.yaml"
    doc = __import__("yaml").safe_load(out.read_text())
    doc["layers"][0]["rows"] += 1
    other.write_text(__import__("yaml").safe_dump(doc))
    r = CliRunner().invoke(main, ["apply", "--plan", str(other), "--calib", calib, "--out", str(tmp_path / "p2.pt")])
    assert r.exit_code != 0 and "made for another model" in r.output


def test_finetune_and_export_commands_check_their_inputs(tmp_path, calib):
    r, out = _plan(tmp_path, calib, "--memory-mb", "0.02")
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["finetune", "--plan", str(out), "--case", "asr_lstm", "--out", str(tmp_path / "ft")])
    assert r.exit_code != 0 and "not the 'asr_lstm' case" in r.output
    r = CliRunner().invoke(main, ["export", "--plan", str(out), "--hw", DSP, "--out", str(tmp_path / "exp")])
    assert r.exit_code == 0, r.output
    assert "simulated on dsp" in r.output and (tmp_path / "exp" / "manifest.json").exists()
    manifest = json.loads((tmp_path / "exp" / "manifest.json").read_text())
    assert sum(e["bytes"] for e in manifest["layers"]) == sum(
        (tmp_path / "exp" / e["file"]).stat().st_size for e in manifest["layers"])
