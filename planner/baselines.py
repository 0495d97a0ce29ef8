"""Baselines the planner is measured against.

Selection (which weights, at a given per-layer density): magnitude, Wanda (|w| x input norm, per output row),
SparseGPT (OBS-style column-by-column updates, Frantar & Alistarh 2023, Algorithm 1 with adaptive block masks).
Allocation (how much per layer, hardware-blind): uniform, global magnitude, ERK (RigL), LAMP, OWL.
"""
from __future__ import annotations

import numpy as np
import torch

from .structure import Unstructured


def magnitude(W: torch.Tensor, H: torch.Tensor, nnz: int) -> torch.Tensor:
    """Keep the ``nnz`` largest |w| of the layer."""
    return W * Unstructured().project(W.abs(), nnz)


def wanda(W: torch.Tensor, H: torch.Tensor, nnz: int) -> torch.Tensor:
    """Keep, in every output row, the largest |w_ij| * ||x_j|| (``||x_j||^2 = H_jj``)."""
    rows, cols = W.shape
    score = W.abs() * torch.sqrt(torch.diagonal(H).clamp_min(0))[None, :]
    per_row = int(round(nnz / rows))
    mask = torch.zeros_like(W, dtype=torch.bool)
    if per_row > 0:
        mask.scatter_(1, torch.topk(score, min(cols, per_row), dim=1).indices, True)
    return W * mask


def sparsegpt(W: torch.Tensor, H: torch.Tensor, nnz: int, block: int = 128) -> torch.Tensor:
    """SparseGPT: prune columns left to right, compensating each pruned weight on the remaining columns through
    the inverse Hessian's Cholesky factor; masks chosen per block of ``block`` columns (``H`` already damped)."""
    W = W.clone().double()
    rows, cols = W.shape
    sparsity = 1.0 - nnz / W.numel()
    Hinv = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(H.double())), upper=True)
    for i1 in range(0, cols, block):
        i2 = min(i1 + block, cols)
        W1 = W[:, i1:i2].clone()
        Q1 = torch.zeros_like(W1)
        Err1 = torch.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]
        tmp = W1**2 / torch.diagonal(Hinv1)[None, :] ** 2
        k = int(tmp.numel() * sparsity)
        pruned = torch.zeros_like(W1, dtype=torch.bool)
        if k > 0:
            pruned.view(-1)[torch.topk(tmp.view(-1), k, largest=False).indices] = True
        for i in range(i2 - i1):
            w = W1[:, i]
            q = torch.where(pruned[:, i], torch.zeros_like(w), w)
            Q1[:, i] = q
            err = (w - q) / Hinv1[i, i]
            W1[:, i:] -= err[:, None] * Hinv1[i, i:][None, :]
            Err1[:, i] = err
        W[:, i1:i2] = Q1
        W[:, i2:] -= Err1 @ Hinv[i1:i2, i2:]
    return W.float()


SELECTORS = {"magnitude": magnitude, "wanda": wanda, "sparsegpt": sparsegpt}


# --- allocation: per-layer densities for an overall kept fraction -------------------------------------------------

def _scale_to_total(raw: np.ndarray, sizes: np.ndarray, total: float, lo: float = 0.0) -> np.ndarray:
    """Multiply ``raw`` by the factor that keeps ``total`` weights overall, capping each density in [lo, 1]."""
    f_lo, f_hi = 0.0, 1e6
    for _ in range(100):
        f = (f_lo + f_hi) / 2
        if (np.clip(raw * f, lo, 1.0) * sizes).sum() > total:
            f_hi = f
        else:
            f_lo = f
    return np.clip(raw * f_lo, lo, 1.0)


def uniform(weights: list[np.ndarray], grams: list[np.ndarray], density: float) -> np.ndarray:
    return np.full(len(weights), density)


def global_magnitude(weights, grams, density):
    """One |w| threshold across all layers."""
    allw = np.concatenate([np.abs(w).ravel() for w in weights])
    k = int(density * allw.size)
    thresh = np.partition(allw, allw.size - k)[allw.size - k] if k > 0 else np.inf
    return np.array([(np.abs(w) >= thresh).mean() for w in weights])


def erk(weights, grams, density):
    """Erdos-Renyi kernel (RigL): density proportional to (rows + cols) / (rows * cols)."""
    sizes = np.array([w.size for w in weights], float)
    raw = np.array([(w.shape[0] + w.shape[1]) / w.size for w in weights])
    return _scale_to_total(raw, sizes, density * sizes.sum())


def lamp(weights, grams, density):
    """LAMP (Lee et al. 2021): score w^2 / sum of w'^2 over weights at least as large, one global threshold."""
    scores = []
    for w in weights:
        sq = np.sort(w.ravel() ** 2)
        suffix = np.cumsum(sq[::-1])[::-1]
        scores.append(sq / suffix)
    allsc = np.concatenate(scores)
    k = int(density * allsc.size)
    thresh = np.partition(allsc, allsc.size - k)[allsc.size - k] if k > 0 else np.inf
    return np.array([(s >= thresh).mean() for s in scores])


def owl(weights, grams, density, m: float = 5.0, lam: float = 0.08):
    """OWL (Yin et al. 2024): layers with more Wanda-score outliers (> m x mean) keep more, +-lam around the mean."""
    ratios = []
    for w, h in zip(weights, grams):
        score = np.abs(w) * np.sqrt(np.clip(np.diag(h), 0, None))[None, :]
        ratios.append((score > m * score.mean()).mean())
    r = np.array(ratios)
    spread = (r - r.min()) / (r.max() - r.min() + 1e-12)
    raw = density * (1 - lam) + 2 * lam * density * spread
    sizes = np.array([w.size for w in weights], float)
    return _scale_to_total(raw, sizes, density * sizes.sum())


ALLOCATORS = {"uniform": uniform, "global_magnitude": global_magnitude, "erk": erk, "lamp": lamp, "owl": owl}
