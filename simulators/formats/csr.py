"""CSR: row pointers, column indices and values (index and pointer widths configurable)."""
from __future__ import annotations

import numpy as np

from .base import Format, Section, register, row_offsets_from_counts
from .packing import pack_uint, pack_values, packed_bytes, unpack_uint, unpack_values


@register
class CSR(Format):
    name = "csr"
    description = "row pointers + column indices + values"
    defaults = {"index_bits": 16, "pointer_bits": 32}

    def validate_params(self):
        for key in ("index_bits", "pointer_bits"):
            if not isinstance(self.params[key], int) or not 1 <= self.params[key] <= 32:
                raise ValueError(f"csr {key} must be an integer in 1..32, got {self.params[key]!r}")

    def _encode(self, w, vt):
        rows, cols = w.shape
        ib, pb = self.params["index_bits"], self.params["pointer_bits"]
        if cols > (1 << ib):
            raise ValueError(f"csr index_bits={ib} cannot address {cols} columns (needs {int(np.ceil(np.log2(cols)))})")
        r, c = np.nonzero(w)
        nnz_row = np.bincount(r, minlength=rows).astype(np.int64)
        ptr = np.concatenate([[0], np.cumsum(nnz_row)])
        if ptr[-1] >= (1 << pb):
            raise ValueError(f"csr pointer_bits={pb} cannot count {ptr[-1]} nonzeros")
        ptr_offsets = row_offsets_from_counts(np.ones(rows, np.int64), pb)
        ptr_offsets[-1] = packed_bytes(rows + 1, pb)
        return [
            Section("row_ptr", pack_uint(ptr, pb), ptr_offsets),
            Section("col_idx", pack_uint(c, ib), row_offsets_from_counts(nnz_row, ib)),
            Section("values", pack_values(w[r, c], vt), row_offsets_from_counts(nnz_row, vt.bits)),
        ], nnz_row


    def _decode(self, sections, shape, vt):
        rows, cols = shape
        ptr = unpack_uint(sections[0], self.params["pointer_bits"], rows + 1)
        nnz = int(ptr[-1])
        c = unpack_uint(sections[1], self.params["index_bits"], nnz)
        vals = unpack_values(sections[2], vt, nnz)
        out = np.zeros(shape, vt.numpy_dtype)
        out[np.repeat(np.arange(rows), np.diff(ptr)), c] = vals
        return out

    def section_bytes(self, rows, cols, counts, bits):
        nnz = counts["nnz"]
        return [packed_bytes(rows + 1, self.params["pointer_bits"]), nnz * self.params["index_bits"] / 8, nnz * bits / 8]
