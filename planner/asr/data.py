"""Corpus loading, batching and evaluation for the built-in ASR case."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .text import encode_text, error_rates, greedy_decode


@dataclass
class Split:
    """Utterances of one split: normalised feature arrays (frames, dim) and their texts."""

    features: list[np.ndarray]
    texts: list[str]

    def __len__(self) -> int:
        return len(self.texts)


def load_corpus(path: str | Path, mean: np.ndarray | None = None, std: np.ndarray | None = None):
    """Splits of a corpus written by ``cases/asr_lstm/corpus.py``; normalisation from train unless given.
    Returns ``({"train": Split, "dev": Split, "test": Split}, mean, std)``."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `python cases/asr_lstm/corpus.py` first")
    z = np.load(path)
    feats = np.split(z["features"].astype(np.float32), np.cumsum(z["lengths"])[:-1])
    texts, splits = z["texts"].tolist(), z["splits"].tolist()
    if mean is None:
        train = np.concatenate([f for f, s in zip(feats, splits) if s == "train"])
        mean, std = train.mean(axis=0), train.std(axis=0) + 1e-5
    out = {}
    for name in ("train", "dev", "test"):
        idx = [i for i, s in enumerate(splits) if s == name]
        out[name] = Split([(feats[i] - mean) / std for i in idx], [texts[i] for i in idx])
    return out, mean, std


def batches(split: Split, batch_size: int, rng: np.random.Generator | None = None):
    """Padded batches: (x (B, T, D), x_lengths, targets (concatenated), target_lengths, texts)."""
    order = np.arange(len(split)) if rng is None else rng.permutation(len(split))
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        feats = [split.features[i] for i in idx]
        lens = torch.tensor([f.shape[0] for f in feats])
        x = torch.zeros(len(idx), int(lens.max()), feats[0].shape[1])
        for j, f in enumerate(feats):
            x[j, : f.shape[0]] = torch.from_numpy(f)
        tgt = [encode_text(split.texts[i]) for i in idx]
        yield x, lens, torch.tensor(sum(tgt, [])), torch.tensor([len(t) for t in tgt]), [split.texts[i] for i in idx]


@torch.no_grad()
def evaluate(model: torch.nn.Module, split: Split, batch_size: int = 64) -> tuple[float, float]:
    """Greedy-decode WER and CER of ``model`` on ``split``."""
    model.eval()
    refs, hyps = [], []
    for x, lens, _, _, texts in batches(split, batch_size):
        logits = model(x).numpy()
        hyps += [greedy_decode(logits[j], int(lens[j])) for j in range(len(texts))]
        refs += texts
    return error_rates(refs, hyps)


def ctc_loss(model: torch.nn.Module, x, lens, targets, target_lens) -> torch.Tensor:
    logp = model(x).log_softmax(-1).transpose(0, 1)
    return torch.nn.functional.ctc_loss(logp, targets, lens, target_lens, blank=0, zero_infinity=True)
