"""Bitmask: one presence bit per weight (row-major, LSB first), then the nonzero values in order."""
from __future__ import annotations

import numpy as np

from .base import Format, Section, register, row_offsets_from_counts
from .packing import pack_values, packed_bytes, unpack_values


@register
class Bitmask(Format):
    name = "bitmask"
    description = "1 bit per weight + nonzero values"

    def _encode(self, w, vt):
        rows, cols = w.shape
        mask = w != 0
        nnz_row = mask.sum(axis=1).astype(np.int64)
        mask_bits = np.packbits(mask.ravel(), bitorder="little")
        mask_offsets = row_offsets_from_counts(np.full(rows, cols), 1)
        values = pack_values(w[mask], vt)
        return [
            Section("mask", mask_bits, mask_offsets),
            Section("values", values, row_offsets_from_counts(nnz_row, vt.bits)),
        ], nnz_row

    def _decode(self, sections, shape, vt):
        rows, cols = shape
        mask = np.unpackbits(sections[0], bitorder="little")[: rows * cols].astype(bool)
        out = np.zeros(rows * cols, vt.numpy_dtype)
        out[mask] = unpack_values(sections[1], vt, int(mask.sum()))
        return out.reshape(shape)


    def section_bytes(self, rows, cols, counts, bits):
        return [packed_bytes(rows * cols, 1), counts["nnz"] * bits / 8]
