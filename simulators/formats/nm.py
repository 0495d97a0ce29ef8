"""N:M structured sparsity: in every group of M consecutive weights of a row, exactly N stored values plus their
in-group indices (ceil(log2 M) bits each).  Groups with fewer than N nonzeros store explicit zeros.  Rows are
zero-padded to a multiple of M.  2:4 is NVIDIA's sparse-tensor-core layout (values + 2-bit indices)."""
from __future__ import annotations

import math

import numpy as np

from .base import Format, Section, register, row_offsets_from_counts
from .packing import pack_uint, pack_values, unpack_uint, unpack_values


@register
class NM(Format):
    name = "nm"
    description = "N of every M weights + in-group indices"
    defaults = {"n": 2, "m": 4}

    def validate_params(self):
        n, m = self.params["n"], self.params["m"]
        if not (isinstance(n, int) and isinstance(m, int) and 1 <= n < m <= 256):
            raise ValueError(f"nm needs integers 1 <= n < m <= 256, got n={n!r}, m={m!r}")

    @property
    def index_bits(self) -> int:
        return max(1, math.ceil(math.log2(self.params["m"])))

    def _groups(self, a: np.ndarray) -> np.ndarray:
        rows, cols = a.shape
        m = self.params["m"]
        g = -(-cols // m)
        padded = np.zeros((rows, g * m), a.dtype)
        padded[:, :cols] = a
        return padded.reshape(rows, g, m)

    def supports(self, mask):
        return bool((self._groups(np.asarray(mask, bool)).sum(axis=2) <= self.params["n"]).all())

    def _encode(self, w, vt):
        rows, cols = w.shape
        n, m = self.params["n"], self.params["m"]
        groups = self._groups(w)
        nz = groups != 0
        if (nz.sum(axis=2) > n).any():
            r, g = np.argwhere(nz.sum(axis=2) > n)[0]
            raise ValueError(f"weights are not {n}:{m} sparse (row {r}, group {g} has {nz[r, g].sum()} nonzeros)")
        key = (~nz) * m + np.arange(m)  # nonzeros first, then lowest free positions
        idx = np.sort(np.argsort(key, axis=2, kind="stable")[:, :, :n], axis=2)
        vals = np.take_along_axis(groups, idx, axis=2)
        per_row = np.full(rows, groups.shape[1] * n, np.int64)
        return [
            Section("indices", pack_uint(idx.ravel(), self.index_bits), row_offsets_from_counts(per_row, self.index_bits)),
            Section("values", pack_values(vals.ravel(), vt), row_offsets_from_counts(per_row, vt.bits)),
        ], per_row

    def _decode(self, sections, shape, vt):
        rows, cols = shape
        n, m = self.params["n"], self.params["m"]
        g = -(-cols // m)
        count = rows * g * n
        idx = unpack_uint(sections[0], self.index_bits, count).reshape(rows, g, n)
        vals = unpack_values(sections[1], vt, count).reshape(rows, g, n)
        out = np.zeros((rows, g, m), vt.numpy_dtype)
        np.put_along_axis(out, idx, vals, axis=2)
        return out.reshape(rows, g * m)[:, :cols]

    def densities(self):
        return np.array([self.params["n"] / self.params["m"]])

    def expected_entries(self, rows, cols, density):
        return float(rows * -(-cols // self.params["m"]) * self.params["n"])

    def section_bytes(self, rows, cols, counts, bits):
        stored = rows * -(-cols // self.params["m"]) * self.params["n"]
        return [stored * self.index_bits / 8, stored * bits / 8]
