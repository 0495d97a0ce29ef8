"""The exact convex relaxation of the per-layer recovery, as a reference for small layers (cvxpy).

``min_W' tr((W' - W) H (W' - W)^T) + lam * sum_ij |w'_ij| / |w_ij|`` (reweighted L1, the LASSO of compressed
sensing with ``X`` as the sensing matrix).  ``lam`` is bisected until the solution has about ``k`` nonzeros; the
``k`` largest are kept and refit by least squares, so the result is comparable with :func:`planner.cs.htp`.
"""
from __future__ import annotations

import cvxpy as cp
import numpy as np
import torch

from .cs import output_error, refit
from .structure import Unstructured


def lasso_recovery(W: torch.Tensor, H: torch.Tensor, nnz: int, bisections: int = 18) -> tuple[torch.Tensor, float]:
    """Sparse ``W'`` with ``nnz`` nonzeros from the weighted-L1 relaxation; returns (W', normalised error)."""
    Wn = W.double().numpy()
    Hn = H.double().numpy()
    L = np.linalg.cholesky(Hn + 1e-12 * np.eye(Hn.shape[0]))
    weights = 1.0 / np.maximum(np.abs(Wn), 1e-8)
    X = cp.Variable(Wn.shape)
    lam = cp.Parameter(nonneg=True)
    fit = cp.sum_squares((X - Wn) @ L)
    problem = cp.Problem(cp.Minimize(fit + lam * cp.sum(cp.multiply(weights, cp.abs(X)))))
    energy = float(np.sum((Wn @ Hn) * Wn))
    lo, hi = 0.0, energy  # lam = energy already zeroes (almost) everything
    best = None
    for _ in range(bisections):
        lam.value = (lo + hi) / 2
        problem.solve(solver=cp.CLARABEL)
        count = int(np.sum(np.abs(X.value) > 1e-6 * np.abs(Wn).max()))
        if count >= nnz:
            lo, best = lam.value, X.value.copy()
        else:
            hi = lam.value
    if best is None:
        best = Wn
    mask = Unstructured().project(torch.from_numpy(np.abs(best)), nnz)
    Wp = refit(W.double(), H.double(), mask, torch.from_numpy(best), iters=200, tol=1e-10)
    return Wp, output_error(W.double(), Wp, H.double()) / energy
