"""Compressed-sensing recovery of a sparse layer: keep ``k`` weights of ``W`` so that ``X W'^T ~ X W^T``.

With the calibration Gram ``H = X^T X / N`` the output error of ``W'`` is ``E = tr((W' - W) H (W' - W)^T)``, a
least-squares sparse recovery problem with ``X`` as the sensing matrix.  :func:`htp` solves it by hard
thresholding pursuit, batched over rows: a gradient step on ``E``, a hard threshold to the best ``k`` entries
(under the format's structure), and a least-squares refit of the kept weights on their support (batched
Jacobi-preconditioned conjugate gradient, one matrix product per iteration for all rows).  The refit is the
"compression-error reduction" half of the seed paper's dual problem; the thresholding is the "sparsity-inducing" one.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .structure import Unstructured


def damped(H: torch.Tensor, damp: float = 0.01) -> torch.Tensor:
    """``H + damp * mean(diag H) * I``: keeps the refit well-posed when inputs are correlated or rank-deficient."""
    d = damp * float(torch.diagonal(H).mean()) if H.numel() else 0.0
    return H + d * torch.eye(H.shape[0], dtype=H.dtype) if d > 0 else H.clone()


def output_error(W: torch.Tensor, Wp: torch.Tensor, H: torch.Tensor) -> float:
    """``tr((W' - W) H (W' - W)^T)``."""
    D = Wp - W
    return float(((D @ H) * D).sum())


def normalised_error(W: torch.Tensor, Wp: torch.Tensor, H: torch.Tensor) -> float:
    """Output error divided by the layer's output energy ``tr(W H W^T)`` (0 = exact, 1 = all weights zero)."""
    energy = float(((W @ H) * W).sum())
    return output_error(W, Wp, H) / energy if energy > 0 else 0.0


def refit(W: torch.Tensor, H: torch.Tensor, mask: torch.Tensor, X0: torch.Tensor | None = None,
          iters: int = 30, tol: float = 1e-4) -> torch.Tensor:
    """Least-squares values on a fixed support: per row ``H_SS w_S = (H w)_S``, by batched preconditioned CG."""
    M = mask.to(W.dtype)
    X = (W if X0 is None else X0) * M
    diag = torch.diagonal(H).clamp_min(1e-12)
    R = torch.mm(W - X, H).mul_(M)
    Z = R / diag
    P = Z.clone()
    rz = torch.linalg.vecdot(R, Z)
    r0 = rz.abs().max().clamp_min(1e-30)
    AP = torch.empty_like(P)
    for _ in range(iters):  # in place: the element-wise passes cost as much as the product on CPU
        torch.mm(P, H, out=AP).mul_(M)
        pap = torch.linalg.vecdot(P, AP)
        alpha = torch.where(pap > 0, rz / pap.clamp_min(1e-30), torch.zeros_like(rz))[:, None]
        X.addcmul_(alpha, P)
        R.addcmul_(alpha, AP, value=-1.0)
        torch.div(R, diag, out=Z)
        rz_new = torch.linalg.vecdot(R, Z)
        if float(rz_new.abs().max()) <= tol * tol * float(r0):
            break
        beta = torch.where(rz > 0, rz_new / rz.clamp_min(1e-30), torch.zeros_like(rz))[:, None]
        P.mul_(beta).add_(Z)
        rz = rz_new
    return X.mul_(M)


@dataclass
class Recovery:
    """A sparse solution: weights ``W'`` (zeros off the mask), the mask, and its normalised output error."""

    weights: torch.Tensor
    mask: torch.Tensor
    error: float
    iterations: int


def htp(W: torch.Tensor, H: torch.Tensor, nnz: int, structure=None, start: torch.Tensor | None = None,
        iters: int = 2, cg_iters: int = 6, final_cg_iters: int = 12) -> Recovery:
    """Hard thresholding pursuit with least-squares refit.  ``H`` should already be damped; ``start`` is a warm
    start (e.g. the solution at a nearby density); default start is the OBS-style saliency ``w^2 H_jj``."""
    structure = structure or Unstructured()
    diag = torch.diagonal(H)
    energy = float(((W @ H) * W).sum())
    norm = energy if energy > 0 else 1.0
    U = W if start is None else start
    mask = structure.project(U * U * diag, nnz)
    Wp = refit(W, H, mask, U, cg_iters)
    err = output_error(W, Wp, H)
    it = 0
    for it in range(1, iters + 1):
        G = (W - Wp) @ H  # minus half the gradient of E
        GH = (G @ H * G).sum(1)
        mu = torch.where(GH > 0, (G * G).sum(1) / GH.clamp_min(1e-30), torch.zeros_like(GH))
        U = Wp + mu[:, None] * G
        new_mask = structure.project(U * U * diag, nnz)
        if torch.equal(new_mask, mask):
            break
        cand = refit(W, H, new_mask, U, cg_iters)
        cand_err = output_error(W, cand, H)
        if cand_err >= err * (1 - 1e-6):
            break
        Wp, mask, err = cand, new_mask, cand_err
    # the thresholding steps use short, warm-started refits; polish the final support
    Wp = refit(W, H, mask, Wp, final_cg_iters)
    err = min(err, output_error(W, Wp, H))
    return Recovery(Wp, mask, err / norm, it)
