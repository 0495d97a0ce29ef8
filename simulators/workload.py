"""Layer shapes a simulation runs on, and a built-in on-device LSTM ASR layer list for when no model is given."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LayerShape:
    """A weight matrix read once per inference step: ``rows`` outputs x ``cols`` inputs."""

    name: str
    rows: int
    cols: int

    @property
    def weights(self) -> int:
        return self.rows * self.cols


def builtin_lstm_asr(layers: int = 5, units: int = 1024, features: int = 640, vocab: int = 4097) -> list[LayerShape]:
    """An on-device streaming LSTM ASR encoder (stacked log-mel input, ``layers`` LSTM layers of ``units`` cells,
    each gate matrix input-to-hidden and hidden-to-hidden) plus a joint/output projection: about 44 M weights."""
    shapes = []
    for i in range(layers):
        in_dim = features if i == 0 else units
        shapes.append(LayerShape(f"lstm{i}.weight_ih", 4 * units, in_dim))
        shapes.append(LayerShape(f"lstm{i}.weight_hh", 4 * units, units))
    shapes.append(LayerShape("output", vocab, units))
    return shapes


def random_weights(rows: int, cols: int, density: float, fmt, dtype: str = "int8",
                   rng: np.random.Generator | None = None) -> np.ndarray:
    """Random nonzero weights of ``dtype`` with a random mask at ``density`` that ``fmt`` can encode: unstructured
    for most formats, whole blocks for BSR, at most N of every M for N:M (``density`` capped at N/M)."""
    from .formats.packing import value_type

    rng = rng or np.random.default_rng(0)
    vt = value_type(dtype)
    if vt.is_float:
        w = rng.standard_normal((rows, cols), dtype=np.float32).astype(vt.numpy_dtype)
        w[w == 0] = 1
    else:
        hi = (1 << (vt.bits - 1)) - 1
        w = (rng.integers(1, hi + 1, (rows, cols)) * rng.choice([-1, 1], (rows, cols))).astype(vt.numpy_dtype)
    if fmt.name == "dense":
        return w
    if fmt.name == "bsr":
        br, bc = fmt.params["block_rows"], fmt.params["block_cols"]
        mb, nb = fmt.grid(rows, cols)
        blocks = rng.random((mb, nb), dtype=np.float32) < density
        mask = np.kron(blocks, np.ones((br, bc), bool))[:rows, :cols]
    elif fmt.name == "nm":
        n, m = fmt.params["n"], fmt.params["m"]
        g = -(-cols // m)
        keep_per_group = min(n, int(round(density * m)))
        mask = np.zeros((rows, g, m), bool)
        mask[..., :keep_per_group] = True
        mask = rng.permuted(mask, axis=2).reshape(rows, g * m)[:, :cols]
    else:
        mask = rng.random((rows, cols), dtype=np.float32) < density
    return np.where(mask, w, 0).astype(vt.numpy_dtype)
