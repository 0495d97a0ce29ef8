"""Train the built-in LSTM CTC acoustic model on the synthesised corpus and ship it.

    python cases/asr_lstm/corpus.py && python cases/asr_lstm/train.py [--epochs 30] [--seed 0]

Writes ``planner/builtin/asr_lstm.pt`` (weights, config, feature normalisation, test WER/CER) and
``planner/builtin/asr_lstm_calibration.npz`` (normalised features of 64 training utterances), which
``planner plan`` uses as its default model and calibration set.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from planner.asr.data import batches, ctc_loss, evaluate, load_corpus  # noqa: E402
from planner.asr.model import AsrLstm  # noqa: E402

BUILD = Path(__file__).resolve().parent / "build"
OUT = ROOT / "planner" / "builtin"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=BUILD / "corpus.npz")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    splits, mean, std = load_corpus(args.corpus)
    print({k: len(v) for k, v in splits.items()})
    model = AsrLstm(args.hidden, args.layers)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * (len(splits["train"]) // args.batch + 1))
    best, best_state = float("inf"), None
    for epoch in range(args.epochs):
        model.train()
        t0, losses = time.time(), []
        for x, lens, tgt, tlens, _ in batches(splits["train"], args.batch, rng):
            loss = ctc_loss(model, x, lens, tgt, tlens)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            losses.append(loss.item())
        wer, cer = evaluate(model, splits["dev"])
        print(f"epoch {epoch + 1}: loss {np.mean(losses):.3f} dev WER {wer:.3f} CER {cer:.3f} ({time.time() - t0:.0f} s)", flush=True)
        if wer < best:
            best, best_state = wer, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    # ship in float16 (a few MB); report the metrics of exactly what is shipped
    half = {k: v.half() for k, v in model.state_dict().items()}
    model.load_state_dict({k: v.float() for k, v in half.items()})
    test_wer, test_cer = evaluate(model, splits["test"])
    dev_wer, dev_cer = evaluate(model, splits["dev"])
    metrics = {"test_wer": test_wer, "test_cer": test_cer, "dev_wer": dev_wer, "dev_cer": dev_cer,
               "epochs": args.epochs, "seed": args.seed, "train_utterances": len(splits["train"])}
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": half, "config": model.config, "mean": torch.from_numpy(mean), "std": torch.from_numpy(std),
                "metrics": metrics}, args.out / "asr_lstm.pt")
    calib = rng.choice(len(splits["train"]), size=64, replace=False)
    feats = [splits["train"].features[i] for i in sorted(calib)]
    np.savez_compressed(args.out / "asr_lstm_calibration.npz", features=np.concatenate(feats).astype(np.float16),
                        lengths=np.array([f.shape[0] for f in feats]))
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
