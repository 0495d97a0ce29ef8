"""Layer shapes a simulation runs on, and a built-in on-device LSTM ASR layer list for when no model is given."""
from __future__ import annotations

from dataclasses import dataclass


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
