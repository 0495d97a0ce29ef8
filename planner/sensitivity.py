"""Per-layer sensitivity weights for the allocation objective: how much a layer's own output error moves the
model's output.  For each layer alone, prune it to ``density`` (its compressed-sensing mask and refit) and measure
the relative change of the model's outputs on the calibration inputs; the weight is that end-to-end change divided
by the layer's own normalised error.  Needs only forward passes, no labels."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .cs import damped, normalised_error, refit
from .layers import Layer
from .training import masking


def _outputs(model: nn.Module, inputs: list) -> list[torch.Tensor]:
    with torch.no_grad():
        return [model(*b) if isinstance(b, (tuple, list)) else model(b) for b in inputs]


def output_probe(model: nn.Module, layers: list[Layer], curves: dict, inputs: list, density: float = 0.3,
                 structure: str = "unstructured") -> np.ndarray:
    """Sensitivity weight per layer (mean 1 over layers)."""
    model.eval()
    base = _outputs(model, inputs)
    energy = sum(float((y.float() ** 2).sum()) for y in base)
    weights = []
    for layer in layers:
        mask = torch.from_numpy(curves[(layer.name, structure)].nearest_mask(density))
        W = layer.weight
        Wp = refit(W, damped(layer.gram).float(), mask, W, iters=40)
        d_layer = max(normalised_error(W.double(), Wp.double(), layer.gram), 1e-12)
        param = masking.original(model, layer.name)
        saved = param.detach().clone()
        with torch.no_grad():
            param.copy_(Wp.reshape(param.shape))
        try:
            change = sum(float(((y - b).float() ** 2).sum()) for y, b in zip(_outputs(model, inputs), base))
        finally:
            with torch.no_grad():
                param.copy_(saved)
        weights.append(change / max(energy, 1e-30) / d_layer)
    w = np.asarray(weights)
    return w / w.mean() if w.mean() > 0 else np.ones_like(w)
