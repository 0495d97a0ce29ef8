"""Fine-tuning the built-in ASR model under a plan: an interrupted run resumes to exactly the same result, and a
run never overwrites one the user already has."""
import json

import numpy as np
import pytest
import torch

from planner.builtin import load_asr_lstm
from planner.layers import find_layers
from planner.training import pruner as pruner_mod
from planner.training.finetune import FinetuneConfig, finetune_asr


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    rng = np.random.default_rng(0)
    texts = ["one two", "stop", "three", "play jazz", "call bob", "nine oh", "lights on", "five"] * 3
    splits = ["train"] * 16 + ["dev"] * 4 + ["test"] * 4
    lengths = rng.integers(20, 40, len(texts))
    path = tmp_path_factory.mktemp("corpus") / "corpus.npz"
    np.savez(path, features=rng.standard_normal((lengths.sum(), 120)).astype(np.float16), lengths=lengths,
             texts=np.array(texts), splits=np.array(splits))
    return path


@pytest.fixture(scope="module")
def half_plan():
    model, _, _ = load_asr_lstm()
    layers = []
    for l in find_layers(model):
        rows, cols = l.shape
        nnz = int(round(0.5 * rows * cols))
        layers.append({"name": l.name, "rows": rows, "cols": cols, "format": "bitmask", "structure": "unstructured",
                       "density": nnz / (rows * cols), "nonzeros": nnz})
    return {"schema": "sparsity-plan", "version": 1, "model": {"name": "asr_lstm"}, "layers": layers}


CFG = dict(steps=6, frequency=2, prune_end=4, batch=8, eval_every=3, checkpoint_every=2, calibration_utterances=2)


def test_resume_gives_the_same_model(tmp_path, tiny_corpus, half_plan, monkeypatch):
    cfg = FinetuneConfig(**CFG)
    full = finetune_asr(half_plan, tmp_path / "full", cfg, corpus=tiny_corpus, progress=False)

    real_step = pruner_mod.PlanPruner.step
    calls = {"n": 0}

    def crashing_step(self):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return real_step(self)

    monkeypatch.setattr(pruner_mod.PlanPruner, "step", crashing_step)
    with pytest.raises(KeyboardInterrupt):
        finetune_asr(half_plan, tmp_path / "cut", cfg, corpus=tiny_corpus, progress=False)
    monkeypatch.setattr(pruner_mod.PlanPruner, "step", real_step)
    assert json.loads(json.dumps(torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=False)["step"])) == 4
    with pytest.raises(ValueError, match="already holds a run"):
        finetune_asr(half_plan, tmp_path / "cut", cfg, corpus=tiny_corpus, progress=False)
    resumed = finetune_asr(half_plan, tmp_path / "cut", cfg, corpus=tiny_corpus, resume=True, progress=False)
    a = torch.load(tmp_path / "full" / "final.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "cut" / "final.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed == full
    assert resumed["sparsity"] == pytest.approx(0.5, abs=1e-3)
    log = (tmp_path / "cut" / "log.csv").read_text().splitlines()
    assert log[0] == "step,loss,sparsity,dev_wer,dev_cer" and len(log) == 3


def test_corrupt_checkpoint_is_a_clear_error(tmp_path, tiny_corpus, half_plan):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="corrupt or incompatible"):
        finetune_asr(half_plan, tmp_path / "run", FinetuneConfig(**CFG), corpus=tiny_corpus, resume=True, progress=False)
