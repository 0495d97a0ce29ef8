"""Sparsity structures a mask must follow so that a format can store it: unstructured, blocks, N of every M.

Each structure turns per-weight saliency scores into a mask keeping a given number of weights, and says which
nonzero counts it can reach.  The format a layer is stored in decides its structure (:func:`structure_for`).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Unstructured:
    name: str = "unstructured"

    def granule(self) -> int:
        return 1

    def round_nnz(self, rows: int, cols: int, density: float) -> int:
        return int(round(density * rows * cols))

    def project(self, scores: torch.Tensor, nnz: int) -> torch.Tensor:
        """Keep the ``nnz`` highest scores of the whole matrix (ties broken by position, deterministically)."""
        flat = scores.reshape(-1)
        mask = torch.zeros_like(flat, dtype=torch.bool)
        if nnz > 0:
            mask[torch.topk(flat, nnz, sorted=False).indices] = True
        return mask.reshape(scores.shape)


@dataclass(frozen=True)
class Blocks:
    rows: int
    cols: int
    name: str = "block"

    def granule(self) -> int:
        return self.rows * self.cols

    def _grid(self, r: int, c: int) -> tuple[int, int]:
        return -(-r // self.rows), -(-c // self.cols)

    def round_nnz(self, rows: int, cols: int, density: float) -> int:
        mb, nb = self._grid(rows, cols)
        return int(round(density * mb * nb)) * self.granule()

    def project(self, scores: torch.Tensor, nnz: int) -> torch.Tensor:
        """Keep the ``nnz // (block area)`` blocks with the highest total score."""
        r, c = scores.shape
        mb, nb = self._grid(r, c)
        padded = torch.zeros(mb * self.rows, nb * self.cols, dtype=scores.dtype)
        padded[:r, :c] = scores
        block_scores = padded.reshape(mb, self.rows, nb, self.cols).sum(dim=(1, 3))
        keep = Unstructured().project(block_scores, min(mb * nb, nnz // self.granule()))
        mask = keep.repeat_interleave(self.rows, 0).repeat_interleave(self.cols, 1)
        return mask[:r, :c]


@dataclass(frozen=True)
class NOfM:
    n: int
    m: int
    name: str = "nm"

    def granule(self) -> int:
        return self.n

    def round_nnz(self, rows: int, cols: int, density: float) -> int:
        return rows * -(-cols // self.m) * self.n

    def project(self, scores: torch.Tensor, nnz: int) -> torch.Tensor:
        """Keep the ``n`` highest scores of every group of ``m`` (the count is fixed by the structure)."""
        r, c = scores.shape
        g = -(-c // self.m)
        padded = torch.full((r, g * self.m), -1.0, dtype=scores.dtype)
        padded[:, :c] = scores
        grp = padded.reshape(r, g, self.m)
        idx = torch.topk(grp, self.n, dim=2).indices
        mask = torch.zeros_like(grp, dtype=torch.bool).scatter_(2, idx, True)
        return mask.reshape(r, g * self.m)[:, :c]


def structure_for(fmt) -> Unstructured | Blocks | NOfM:
    """The mask structure a :class:`~simulators.formats.Format` needs."""
    if fmt.name == "bsr":
        return Blocks(fmt.params["block_rows"], fmt.params["block_cols"])
    if fmt.name == "nm":
        return NOfM(fmt.params["n"], fmt.params["m"])
    return Unstructured()


def structure_key(s) -> str:
    if isinstance(s, Blocks):
        return f"block{s.rows}x{s.cols}"
    if isinstance(s, NOfM):
        return f"nm{s.n}:{s.m}"
    return "unstructured"
