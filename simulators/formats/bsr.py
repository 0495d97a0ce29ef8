"""Block-sparse rows (BSR): block-row pointers, block-column indices, dense blocks of block_rows x block_cols.

The matrix is zero-padded to whole blocks; a block is stored when any of its weights is nonzero.
"""
from __future__ import annotations

import numpy as np

from .base import Format, Section, register, row_offsets_from_counts
from .packing import pack_uint, pack_values, packed_bytes, unpack_uint, unpack_values


@register
class BSR(Format):
    name = "bsr"
    description = "dense blocks + block indices"
    defaults = {"block_rows": 4, "block_cols": 4, "index_bits": 16, "pointer_bits": 32}

    def validate_params(self):
        for key in self.defaults:
            v = self.params[key]
            if not isinstance(v, int) or v < 1 or (key.endswith("bits") and v > 32) or v > 4096:
                raise ValueError(f"bsr {key} must be a positive integer (bits <= 32, block <= 4096), got {v!r}")

    def grid(self, rows: int, cols: int) -> tuple[int, int]:
        br, bc = self.params["block_rows"], self.params["block_cols"]
        return -(-rows // br), -(-cols // bc)

    def block_mask(self, mask: np.ndarray) -> np.ndarray:
        """(block rows x block cols) boolean: which blocks hold a nonzero."""
        rows, cols = mask.shape
        br, bc = self.params["block_rows"], self.params["block_cols"]
        mb, nb = self.grid(rows, cols)
        padded = np.zeros((mb * br, nb * bc), bool)
        padded[:rows, :cols] = mask
        return padded.reshape(mb, br, nb, bc).any(axis=(1, 3))

    def _encode(self, w, vt):
        rows, cols = w.shape
        br, bc = self.params["block_rows"], self.params["block_cols"]
        ib, pb = self.params["index_bits"], self.params["pointer_bits"]
        mb, nb = self.grid(rows, cols)
        if nb > (1 << ib):
            raise ValueError(f"bsr index_bits={ib} cannot address {nb} block columns")
        keep = self.block_mask(w != 0)
        padded = np.zeros((mb * br, nb * bc), w.dtype)
        padded[:rows, :cols] = w
        blocks = padded.reshape(mb, br, nb, bc).transpose(0, 2, 1, 3)  # (mb, nb, br, bc)
        bi, bj = np.nonzero(keep)
        per_brow = keep.sum(axis=1).astype(np.int64)
        ptr = np.concatenate([[0], np.cumsum(per_brow)])
        # attribute each block row's data to its first matrix row
        first_row_units = np.zeros(rows, np.int64)
        first_row_units[np.arange(mb) * br] = per_brow
        ptr_units = np.zeros(rows, np.int64)
        ptr_units[np.arange(mb) * br] = 1
        ptr_offsets = row_offsets_from_counts(ptr_units, pb)
        ptr_offsets[-1] = packed_bytes(mb + 1, pb)
        row_entries = np.zeros(rows, np.int64)
        row_entries[np.arange(mb) * br] = per_brow * br * bc
        return [
            Section("block_ptr", pack_uint(ptr, pb), ptr_offsets),
            Section("block_col", pack_uint(bj, ib), row_offsets_from_counts(first_row_units, ib)),
            Section("values", pack_values(blocks[bi, bj].ravel(), vt), row_offsets_from_counts(first_row_units * br * bc, vt.bits)),
        ], row_entries

    def _decode(self, sections, shape, vt):
        rows, cols = shape
        br, bc = self.params["block_rows"], self.params["block_cols"]
        mb, nb = self.grid(rows, cols)
        ptr = unpack_uint(sections[0], self.params["pointer_bits"], mb + 1)
        n_blocks = int(ptr[-1])
        bj = unpack_uint(sections[1], self.params["index_bits"], n_blocks)
        bi = np.repeat(np.arange(mb), np.diff(ptr))
        vals = unpack_values(sections[2], vt, n_blocks * br * bc).reshape(n_blocks, br, bc)
        blocks = np.zeros((mb, nb, br, bc), vt.numpy_dtype)
        blocks[bi, bj] = vals
        return blocks.transpose(0, 2, 1, 3).reshape(mb * br, nb * bc)[:rows, :cols]

    def mask_counts(self, mask):
        return {"nnz": int(np.count_nonzero(mask)), "blocks": int(self.block_mask(np.asarray(mask, bool)).sum())}

    def expected_counts(self, rows, cols, density):
        """Block-structured mask (what the planner's selection produces): a fraction ``density`` of blocks kept."""
        mb, nb = self.grid(rows, cols)
        return {"nnz": density * rows * cols, "blocks": density * mb * nb}

    def expected_entries(self, rows, cols, density):
        return self.expected_counts(rows, cols, density)["blocks"] * self.params["block_rows"] * self.params["block_cols"]

    def section_bytes(self, rows, cols, counts, bits):
        mb, _ = self.grid(rows, cols)
        blocks = counts["blocks"]
        area = self.params["block_rows"] * self.params["block_cols"]
        return [packed_bytes(mb + 1, self.params["pointer_bits"]), blocks * self.params["index_bits"] / 8, blocks * area * bits / 8]
