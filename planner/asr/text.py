"""Characters, CTC greedy decoding and error rates."""
from __future__ import annotations

import numpy as np

ALPHABET = " abcdefghijklmnopqrstuvwxyz'"  # index 0 is the CTC blank, characters from 1
VOCAB = len(ALPHABET) + 1


def encode_text(text: str) -> list[int]:
    return [ALPHABET.index(c) + 1 for c in text.lower() if c in ALPHABET]


def greedy_decode(logits: np.ndarray, length: int | None = None) -> str:
    """Best path: argmax per frame, merge repeats, drop blanks.  ``logits`` (frames, VOCAB)."""
    best = np.asarray(logits).argmax(axis=-1)[: length]
    out, prev = [], 0
    for k in best:
        if k != prev and k != 0:
            out.append(ALPHABET[k - 1])
        prev = k
    return " ".join("".join(out).split())


def _edits(a: list, b: list) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


def error_rates(refs: list[str], hyps: list[str]) -> tuple[float, float]:
    """(WER, CER) over a corpus: total edits / total reference words (characters)."""
    we = sum(_edits(r.split(), h.split()) for r, h in zip(refs, hyps))
    ce = sum(_edits(list(r), list(h)) for r, h in zip(refs, hyps))
    return we / max(1, sum(len(r.split()) for r in refs)), ce / max(1, sum(len(r) for r in refs))
