"""Compressed-sensing recovery: structure projections, refit optimality, HTP against magnitude and the convex
relaxation."""
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from planner.cs import damped, htp, normalised_error, output_error, refit
from planner.cs_convex import lasso_recovery
from planner.structure import Blocks, NOfM, Unstructured


def _problem(rows, cols, seed, samples=400):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(samples, cols, generator=g, dtype=torch.float64) @ (
        torch.eye(cols, dtype=torch.float64) + 0.3 * torch.randn(cols, cols, generator=g, dtype=torch.float64))
    H = damped(X.T @ X / samples)
    W = torch.randn(rows, cols, generator=g, dtype=torch.float64)
    return W, H


@given(rows=st.integers(1, 12), cols=st.integers(1, 20), density=st.floats(0.05, 1.0), seed=st.integers(0, 10**6))
def test_projections_keep_the_count_and_structure(rows, cols, density, seed):
    scores = torch.rand(rows, cols, generator=torch.Generator().manual_seed(seed))
    u = Unstructured()
    assert int(u.project(scores, u.round_nnz(rows, cols, density)).sum()) == u.round_nnz(rows, cols, density)
    b = Blocks(2, 3)
    mask = b.project(scores, b.round_nnz(rows, cols, density))
    padded = torch.zeros(-(-rows // 2) * 2, -(-cols // 3) * 3, dtype=torch.bool)
    padded[:rows, :cols] = mask
    kept = padded.reshape(padded.shape[0] // 2, 2, -1, 3).any(dim=(1, 3))
    whole = kept.repeat_interleave(2, 0).repeat_interleave(3, 1)[:rows, :cols]
    assert torch.equal(mask, whole)  # whole blocks only
    nm = NOfM(2, 4)
    m = nm.project(scores, 0)
    g = torch.zeros(rows, -(-cols // 4) * 4, dtype=torch.bool)
    g[:, :cols] = m
    assert int(g.reshape(rows, -1, 4).sum(2).max()) <= 2


def test_refit_is_the_least_squares_solution():
    W, H = _problem(6, 15, 1)
    mask = Unstructured().project(W.abs(), 40)
    Wp = refit(W, H, mask, iters=200, tol=1e-12)
    for i in range(6):  # per row: H_SS w_S = (H w)_S
        S = mask[i]
        exact = torch.linalg.solve(H[S][:, S], (H @ W[i])[S])
        assert torch.allclose(Wp[i, S], exact, atol=1e-8)


@pytest.mark.parametrize("density", [0.5, 0.3, 0.1])
def test_htp_beats_magnitude_and_magnitude_refit(density):
    W, H = _problem(32, 64, 2)
    k = int(density * W.numel())
    mag = Unstructured().project(W.abs(), k)
    e_mag = normalised_error(W, W * mag, H)
    e_ls = normalised_error(W, refit(W, H, mag, iters=100), H)
    e_htp = htp(W, H, k).error
    assert e_htp < e_ls < e_mag


@pytest.mark.parametrize("seed", [3, 4])
def test_htp_within_factor_of_convex_relaxation(seed):
    """On small problems the fast solver is at most 1.25x the convex relaxation's error (usually below it)."""
    W, H = _problem(4, 12, seed)
    k = 20
    _, e_convex = lasso_recovery(W, H, k)
    e_htp = htp(W, H, k, iters=20, cg_iters=50, final_cg_iters=100).error
    assert e_htp <= 1.25 * e_convex + 1e-9, (e_htp, e_convex)


def test_htp_respects_structure():
    W, H = _problem(8, 16, 5)
    rec = htp(W, H, 0, NOfM(2, 4))
    assert int(rec.mask.reshape(8, 4, 4).sum(2).max()) == 2
    assert output_error(W, rec.weights, H) <= output_error(W, W * rec.mask, H) + 1e-9
