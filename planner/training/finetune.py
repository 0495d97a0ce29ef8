"""Fine-tune the built-in ASR model under a plan: gradual pruning, checkpoints, resume, a CSV log."""
from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..asr.data import batches, ctc_loss, evaluate, load_corpus
from ..builtin import HERE as BUILTIN_DIR
from ..builtin import load_asr_lstm
from .pruner import PlanPruner

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "cases" / "asr_lstm" / "build" / "corpus.npz"


@dataclass
class FinetuneConfig:
    steps: int = 600
    select: str = "cs"
    prune_start: int = 0
    prune_end: int | None = None  # default: 70% of the steps
    frequency: int = 50
    lr: float = 2e-4
    batch: int = 32
    eval_every: int = 100
    checkpoint_every: int = 100
    calibration_utterances: int = 16
    seed: int = 0

    @property
    def end(self) -> int:
        return self.prune_end if self.prune_end is not None else int(0.7 * self.steps)


def _save_atomic(obj, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _train_stream(split, batch, seed):
    """Endless deterministic batches: epoch e is shuffled with rng (seed, e)."""
    epoch = 0
    while True:
        yield from batches(split, batch, np.random.default_rng([seed, epoch]))
        epoch += 1


def finetune_asr(plan: dict, out_dir: str | Path, cfg: FinetuneConfig, corpus: str | Path = DEFAULT_CORPUS,
                 resume: bool = False, progress: bool = True) -> dict:
    """Fine-tune ``asr_lstm`` while pruning it to ``plan``; returns the final metrics (also in results.json)."""
    out = Path(out_dir)
    ckpt_path, log_path, final_path = out / "checkpoint.pt", out / "log.csv", out / "final.pt"
    if out.exists() and any(out.iterdir()) and not resume:
        raise ValueError(f"{out} already holds a run: pass --resume to continue it, or choose another --out")
    if resume and not ckpt_path.exists():
        raise ValueError(f"nothing to resume in {out} (no checkpoint.pt)")
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    model, calib, _ = load_asr_lstm()
    stats = torch.load(BUILTIN_DIR / "asr_lstm.pt", map_location="cpu", weights_only=True)
    splits, _, _ = load_corpus(corpus, stats["mean"].numpy(), stats["std"].numpy())
    pruner = PlanPruner(model, plan, calib[: cfg.calibration_utterances], cfg.select, cfg.prune_start, cfg.end,
                        cfg.frequency).prepare()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    step, log_rows = 0, []
    best = {"dev_wer": float("inf"), "state": None, "step": None}  # best dev WER once the masks are final
    if resume:
        try:
            state = torch.load(ckpt_path, map_location="cpu", weights_only=False)
            if state.get("config") != asdict(cfg):
                raise ValueError(f"the checkpoint in {out} was made with other settings: {state.get('config')}")
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            pruner.load_state_dict(state["pruner"])
            torch.set_rng_state(state["torch_rng"])
            step, log_rows = int(state["step"]), list(state["log"])
            best = state["best"]
        except Exception as e:  # noqa: BLE001 - unpickling a damaged file can raise almost anything
            raise ValueError(f"cannot resume from {ckpt_path}: corrupt or incompatible checkpoint ({e})") from None
    stream = _train_stream(splits["train"], cfg.batch, cfg.seed)
    for _ in range(step):  # replay the data order up to the checkpoint (cheap: no compute)
        next(stream)
    bar = tqdm(total=cfg.steps, initial=step, desc=f"fine-tune ({cfg.select})", disable=not progress)
    model.train()
    while step < cfg.steps:
        x, lens, tgt, tlens, _ = next(stream)
        loss = ctc_loss(model, x, lens, tgt, tlens)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        pruner.step()
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.3f}", sparsity=f"{pruner.sparsity():.2f}")
        if step % cfg.eval_every == 0 or step == cfg.steps:
            wer, cer = evaluate(model, splits["dev"])
            model.train()
            log_rows.append({"step": step, "loss": round(loss.item(), 5), "sparsity": round(pruner.sparsity(), 5),
                             "dev_wer": round(wer, 5), "dev_cer": round(cer, 5)})
            if step >= cfg.end and wer < best["dev_wer"]:  # model selection on dev, never on test
                best = {"dev_wer": wer, "state": {k: v.clone() for k, v in model.state_dict().items()}, "step": step}
        if step % cfg.checkpoint_every == 0 or step == cfg.steps:
            _save_atomic({"model": model.state_dict(), "optimizer": opt.state_dict(), "pruner": pruner.state_dict(),
                          "torch_rng": torch.get_rng_state(), "step": step, "log": log_rows, "config": asdict(cfg),
                          "best": best},
                         ckpt_path)
            with open(log_path, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=["step", "loss", "sparsity", "dev_wer", "dev_cer"])
                w.writeheader()
                w.writerows(log_rows)
    bar.close()
    if best["state"] is not None:
        model.load_state_dict(best["state"])
    sparsity = pruner.sparsity()
    pruner.squash_mask()
    wer, cer = evaluate(model, splits["test"])
    _save_atomic({"state_dict": model.state_dict(), "config": model.config}, final_path)
    results = {"test_wer": wer, "test_cer": cer, "sparsity": sparsity, "steps": cfg.steps, "select": cfg.select,
               "best_step": best["step"], "best_dev_wer": best["dev_wer"]}
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return results
