"""Store weights in a spec's dtype: symmetric per-row integer quantisation, or a float cast, keeping every nonzero
nonzero (the layout, and so the bytes and cycles, depends on the mask)."""
from __future__ import annotations

import numpy as np

from simulators.formats import value_type


def quantise(w: np.ndarray, dtype: str) -> tuple[np.ndarray, np.ndarray | None]:
    """``w`` as ``dtype`` values with exactly the same zero pattern, and the per-row scales (``w ~ q * scale``)
    for integer types (None for float types)."""
    vt = value_type(dtype)
    w = np.asarray(w, np.float64)
    nz = w != 0
    if vt.is_float:
        q = w.astype(vt.numpy_dtype)
        tiny = np.finfo(vt.numpy_dtype).smallest_subnormal
        return np.where(nz & (q == 0), np.sign(w) * tiny, q).astype(vt.numpy_dtype), None
    qmax = (1 << (vt.bits - 1)) - 1
    scale = np.abs(w).max(axis=1) / qmax
    scale[scale == 0] = 1.0
    q = np.clip(np.round(w / scale[:, None]), -qmax, qmax)
    q = np.where(nz & (q == 0), np.sign(w), q)
    return q.astype(vt.numpy_dtype), scale


def to_storage(w: np.ndarray, dtype: str) -> np.ndarray:
    """The stored values of :func:`quantise` (for encoding and simulation)."""
    return quantise(w, dtype)[0]
