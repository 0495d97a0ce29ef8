"""Dense: every value stored row-major, no metadata."""
from __future__ import annotations

import numpy as np

from .base import Format, Section, register, row_offsets_from_counts
from .packing import pack_values, packed_bytes, unpack_values


@register
class Dense(Format):
    name = "dense"
    description = "all values, row-major"

    def _encode(self, w, vt):
        rows, cols = w.shape
        per_row = np.full(rows, cols, np.int64)
        return [Section("values", pack_values(w.ravel(), vt), row_offsets_from_counts(per_row, vt.bits))], per_row

    def _decode(self, sections, shape, vt):
        return unpack_values(sections[0], vt, shape[0] * shape[1]).reshape(shape)

    def section_bytes(self, rows, cols, counts, bits):
        return [packed_bytes(rows * cols, bits)]

    def expected_entries(self, rows, cols, density):
        return float(rows * cols)
