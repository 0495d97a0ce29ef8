"""The on-device style acoustic model: stacked LSTM layers and a linear CTC output layer."""
from __future__ import annotations

import torch
from torch import nn

from .features import FEATURE_DIM
from .text import VOCAB


class AsrLstm(nn.Module):
    """(batch, frames, FEATURE_DIM) -> (batch, frames, VOCAB) CTC logits."""

    def __init__(self, hidden: int = 256, layers: int = 3, in_dim: int = FEATURE_DIM, vocab: int = VOCAB):
        super().__init__()
        self.config = {"hidden": hidden, "layers": layers, "in_dim": in_dim, "vocab": vocab}
        self.lstm = nn.LSTM(in_dim, hidden, num_layers=layers, batch_first=True)
        self.output = nn.Linear(hidden, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.lstm(x)
        return self.output(h)
