"""Distortion curves: each layer's normalised output error after compressed-sensing recovery, on a density grid,
with the mask at each point.  Cached on disk, keyed by the layer's weights, Gram, grid and structure, so
re-planning for other hardware costs only the solve."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from .cs import damped, htp
from .layers import Layer
from .structure import NOfM, structure_key

DEFAULT_GRID = (1.0, 0.8, 0.65, 0.5, 0.4, 0.3, 0.22, 0.15, 0.1, 0.06, 0.03)
ALGORITHM_VERSION = "htp-v2"  # bump when the recovery changes: cached curves are then recomputed


@dataclass
class Curve:
    """``errors[i]`` is the normalised output error at ``densities[i]`` (descending); ``masks[i]`` its mask."""

    layer: str
    structure: str
    densities: np.ndarray
    errors: np.ndarray
    masks: list[np.ndarray]

    def nearest_mask(self, density: float) -> np.ndarray:
        return self.masks[int(np.argmin(np.abs(self.densities - density)))]


def layer_hash(layer: Layer) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(layer.weight.numpy()).tobytes())
    h.update(np.ascontiguousarray(layer.gram.numpy()).tobytes())
    h.update(str(layer.shape).encode())
    return h.hexdigest()[:20]


def grid_for(structure, grid=DEFAULT_GRID) -> list[float]:
    if isinstance(structure, NOfM):
        return [1.0, structure.n / structure.m]
    return list(grid)


def compute_curve(layer: Layer, structure, grid=DEFAULT_GRID) -> Curve:
    """Recover the layer at every grid density, from dense to sparse, each warm-started from the previous one."""
    W = layer.weight
    H = damped(layer.gram).float()
    dens, errs, masks = [], [], []
    start = None
    for d in grid_for(structure, grid):
        rows, cols = layer.shape
        nnz = structure.round_nnz(rows, cols, d) if d < 1 else rows * cols
        if nnz >= rows * cols:
            dens.append(1.0)
            errs.append(0.0)
            masks.append(np.ones(layer.shape, bool))
            continue
        rec = htp(W, H, nnz, structure, start=start)
        start = rec.weights
        dens.append(nnz / (rows * cols))
        errs.append(rec.error)
        masks.append(rec.mask.numpy())
    return Curve(layer.name, structure_key(structure), np.array(dens), np.array(errs), masks)


def _cache_path(cache_dir: Path, layer: Layer, structure, grid) -> Path:
    key = hashlib.sha256(f"{layer_hash(layer)}|{structure_key(structure)}|{grid_for(structure, grid)}|{ALGORITHM_VERSION}".encode())
    return cache_dir / f"{key.hexdigest()[:24]}.npz"


def load_or_compute(layers: list[Layer], structures: dict[str, object], cache_dir: Path | None,
                    grid=DEFAULT_GRID, progress: bool = True) -> dict[tuple[str, str], Curve]:
    """Curves for every (layer, structure); ``structures`` maps a structure key to its object."""
    out = {}
    jobs = [(l, s) for l in layers for s in structures.values()]
    bar = tqdm(jobs, desc="compressed-sensing curves", unit="curve", disable=not progress, leave=False)
    for layer, s in bar:
        key = (layer.name, structure_key(s))
        path = _cache_path(cache_dir, layer, s, grid) if cache_dir else None
        if path is not None and path.exists():
            z = np.load(path)
            shape = layer.shape
            masks = [np.unpackbits(m, count=shape[0] * shape[1]).reshape(shape).astype(bool) for m in z["masks"]]
            out[key] = Curve(layer.name, key[1], z["densities"], z["errors"], masks)
            continue
        with torch.no_grad():
            curve = compute_curve(layer, s, grid)
        out[key] = curve
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npz")
            np.savez_compressed(tmp, densities=curve.densities, errors=curve.errors,
                                masks=np.stack([np.packbits(m.ravel()) for m in curve.masks]))
            tmp.replace(path)
    return out
