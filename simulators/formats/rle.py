"""Run-length / relative index (EIE style) over the row-major weight stream.

Each stored entry is (gap, value): ``gap`` zeros precede ``value``.  A run of zeros longer than the index width can
express inserts padding entries (gap = 2**bits - 1, value 0).  Trailing zeros need no entry.  A 4-byte header holds
the entry count.  Sections: header, gaps (``index_bits`` each), values.
"""
from __future__ import annotations

import numpy as np

from .base import Format, Section, register, row_offsets_from_counts
from .packing import pack_uint, pack_values, unpack_uint, unpack_values


def _gaps_and_pads(flat_mask: np.ndarray, run_limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pos = np.flatnonzero(flat_mask)
    prev = np.concatenate([[-1], pos[:-1]])
    zeros_before = pos - prev - 1
    return pos, zeros_before, zeros_before // run_limit


@register
class RLE(Format):
    name = "rle"
    description = "relative-index (gap, value) pairs with padding zeros"
    defaults = {"index_bits": 4}

    def validate_params(self):
        ib = self.params["index_bits"]
        if not isinstance(ib, int) or not 1 <= ib <= 16:
            raise ValueError(f"rle index_bits must be an integer in 1..16, got {ib!r}")

    @property
    def run_limit(self) -> int:
        """Positions covered by one padding entry (its ``2**bits - 1`` zeros plus the stored zero)."""
        return 1 << self.params["index_bits"]

    def _encode(self, w, vt):
        rows, cols = w.shape
        flat = w.ravel()
        L = self.run_limit
        pos, zeros_before, pads = _gaps_and_pads(flat != 0, L)
        n_entries = int(pos.size + pads.sum())
        real_idx = np.arange(pos.size) + np.cumsum(pads)
        gaps = np.full(n_entries, L - 1, np.int64)
        gaps[real_idx] = zeros_before - pads * L
        values = np.zeros(n_entries, flat.dtype)
        values[real_idx] = flat[pos]
        entry_pos = np.cumsum(gaps + 1) - 1
        per_row = np.bincount(entry_pos // cols, minlength=rows).astype(np.int64) if n_entries else np.zeros(rows, np.int64)
        header = pack_uint(np.array([n_entries]), 32)
        head_offsets = np.zeros(rows + 1, np.int64)
        head_offsets[1:] = header.size
        return [
            Section("header", header, head_offsets),
            Section("gaps", pack_uint(gaps, self.params["index_bits"]), row_offsets_from_counts(per_row, self.params["index_bits"])),
            Section("values", pack_values(values, vt), row_offsets_from_counts(per_row, vt.bits)),
        ], per_row


    def _decode(self, sections, shape, vt):
        n = int(unpack_uint(sections[0], 32, 1)[0])
        gaps = unpack_uint(sections[1], self.params["index_bits"], n)
        values = unpack_values(sections[2], vt, n)
        out = np.zeros(shape[0] * shape[1], vt.numpy_dtype)
        if n:
            pos = np.cumsum(gaps + 1) - 1
            if pos[-1] >= out.size:
                raise ValueError("corrupt rle stream: entries run past the end of the matrix")
            out[pos] = values
        return out.reshape(shape)

    def mask_counts(self, mask):
        _, _, pads = _gaps_and_pads(np.asarray(mask).ravel(), self.run_limit)
        return {"nnz": int(np.count_nonzero(mask)), "pads": int(pads.sum())}

    def expected_counts(self, rows, cols, density):
        """Random mask: zeros before a nonzero are geometric, so E[pads] per nonzero = q / (1 - q), q = (1-d)^L."""
        nnz = density * rows * cols
        if density <= 0:
            return {"nnz": 0.0, "pads": 0.0}
        q = (1.0 - density) ** self.run_limit
        return {"nnz": nnz, "pads": nnz * q / (1.0 - q)}

    def expected_entries(self, rows, cols, density):
        c = self.expected_counts(rows, cols, density)
        return c["nnz"] + c["pads"]

    def section_bytes(self, rows, cols, counts, bits):
        n = counts["nnz"] + counts["pads"]
        return [4, n * self.params["index_bits"] / 8, n * bits / 8]
