"""The planner's closed loop: curves -> convex allocation -> real masks -> encode -> cycle-level re-check -> tighten.

:func:`make_plan` returns a :class:`Plan` that never exceeds any budget as re-simulated by the cycle-level
simulator on the real encoded layouts; :mod:`planner.plan_io` writes it.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from simulators.analytic import layer_cost
from simulators.engine import simulate
from simulators.spec import HardwareSpec

from .allocate import Allocation, Budgets, Option, allocate, convex_pieces
from .cs import damped, htp
from .curves import DEFAULT_GRID, Curve, load_or_compute
from .layers import Layer
from .quantize import to_storage
from .structure import structure_for, structure_key

MAX_ROUNDS = 8


@dataclass
class Bounds:
    """Per-layer limits: a global minimum density, per-layer overrides (fnmatch patterns), layers kept dense,
    and the formats allowed (None: every format all specs share)."""

    min_density: float = min(DEFAULT_GRID)
    per_layer_min: dict[str, float] = field(default_factory=dict)
    keep_dense: list[str] = field(default_factory=list)
    formats: list[str] | None = None

    def validate(self, layer_names: list[str]) -> None:
        if not 0 < self.min_density <= 1:
            raise ValueError(f"minimum density must be in (0, 1], got {self.min_density}")
        for pat, v in self.per_layer_min.items():
            if not 0 < v <= 1:
                raise ValueError(f"minimum density for {pat!r} must be in (0, 1], got {v}")
            if not any(fnmatch.fnmatch(n, pat) for n in layer_names):
                raise ValueError(f"per-layer bound {pat!r} matches no prunable layer; layers: {', '.join(layer_names)}")
        for pat in self.keep_dense:
            if not any(fnmatch.fnmatch(n, pat) for n in layer_names):
                raise ValueError(f"--keep-dense {pat!r} matches no prunable layer; layers: {', '.join(layer_names)}")

    def min_for(self, name: str) -> float:
        vals = [v for pat, v in self.per_layer_min.items() if fnmatch.fnmatch(name, pat)]
        return max([self.min_density, *vals])

    def dense_only(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name, pat) for pat in self.keep_dense)


@dataclass
class LayerPlan:
    name: str
    rows: int
    cols: int
    format: str
    structure: str
    nnz: int
    distortion: float
    weights: np.ndarray  # the recovered sparse weights (float32), zeros off the mask
    per_target: dict[str, dict] = field(default_factory=dict)  # spec -> bytes, analytic_cycles, simulated_cycles

    @property
    def density(self) -> float:
        return self.nnz / (self.rows * self.cols)

    @property
    def mask(self) -> np.ndarray:
        return self.weights != 0


@dataclass
class Plan:
    layers: list[LayerPlan]
    targets: dict[str, dict]  # spec -> budgets, simulated totals, dense totals
    solver: dict


def common_formats(specs: list[HardwareSpec], allowed: list[str] | None) -> list[str]:
    """Formats every spec supports with the same parameters (one layout serves all targets)."""
    names = [f for f in specs[0].formats if all(f in s.formats and s.formats[f].params == specs[0].formats[f].params
                                                for s in specs)]
    if allowed is not None:
        unknown = [f for f in allowed if f not in names]
        if unknown:
            raise ValueError(f"format(s) {unknown} not supported (with the same parameters) by every target; "
                             f"common formats: {', '.join(names)}")
        names = [f for f in names if f in allowed]
    if "dense" not in names:
        names.insert(0, "dense")
    return names


def build_options(layers: list[Layer], curves: dict, specs: list[HardwareSpec], formats: list[str],
                  bounds: Bounds) -> list[Option]:
    """Every (layer, format) choice with its convex distortion, latency and memory pieces."""
    options = []
    for li, layer in enumerate(layers):
        rows, cols = layer.shape
        lo_bound = bounds.min_for(layer.name)
        for fname in formats:
            if bounds.dense_only(layer.name) and fname != "dense":
                continue
            fmt = specs[0].format(fname)
            skey = "dense" if fname == "dense" else structure_key(structure_for(fmt))
            if fname == "dense":
                dens, errs = np.array([1.0]), np.array([0.0])
            else:
                c: Curve = curves[(layer.name, skey)]
                keep = (c.densities >= lo_bound - 1e-9) & (c.densities < 1.0 - 1e-9)
                if not keep.any():
                    continue
                dens, errs = c.densities[keep], c.errors[keep]
            opt = Option(li, fname, skey, float(dens.min()), float(dens.max()), convex_pieces(dens, errs), size=rows * cols)
            for spec in specs:
                cost = layer_cost(rows, cols, dens, fname, spec)
                opt.latency[spec.name] = convex_pieces(dens, cost["cycles"])
                opt.memory[spec.name] = convex_pieces(dens, cost["bytes"])
            options.append(opt)
    return options


def _realise(layer: Layer, option: Option, density: float, fmt, curves: dict, memo: dict) -> tuple[np.ndarray, int, float]:
    """Recovered weights at the exact nonzero count the format can hold, and their normalised error."""
    rows, cols = layer.shape
    if option.format == "dense":
        return layer.weight.numpy().copy(), rows * cols, 0.0
    structure = structure_for(fmt)
    nnz = min(rows * cols, max(structure.granule(), structure.round_nnz(rows, cols, density)))
    key = (layer.name, option.structure, nnz)
    if key not in memo:
        start = layer.weight * torch.from_numpy(curves[(layer.name, option.structure)].nearest_mask(density))
        with torch.no_grad():
            rec = htp(layer.weight, damped(layer.gram).float(), nnz, structure, start=start)
        memo[key] = (rec.weights.numpy(), int(rec.mask.sum()), rec.error)
    return memo[key]


def simulate_weights(spec: HardwareSpec, names: list[str], weights: list[np.ndarray], formats: list[str]):
    """Cycle-level result of float ``weights`` stored in ``spec``'s dtype, each layer in its format."""
    enc = [spec.format(f).encode(to_storage(w, spec.weights.dtype), spec.weights.dtype, spec.weights.alignment_bytes)
           for w, f in zip(weights, formats)]
    return simulate(names, enc, spec)


def make_plan(layers: list[Layer], specs: list[HardwareSpec], latency_cycles: dict[str, float],
              memory_bytes: dict[str, float], bounds: Bounds | None = None, cache_dir: Path | None = None,
              sensitivity=None, progress: bool = True, max_density: float | None = None) -> Plan:
    """Plan per-layer density and format for every spec in ``specs`` under its budgets (see module doc)."""
    if not layers:
        raise ValueError("the model has no prunable layer (Linear, Conv1d/2d, LSTM or GRU)")
    names = [l.name for l in layers]
    if len(set(s.name for s in specs)) != len(specs):
        raise ValueError("two --hw specs share the same name; give each target a distinct name")
    for l in layers:
        if not torch.isfinite(l.weight).all():
            raise ValueError(f"layer {l.name} has NaN or infinite weights")
    for h in specs:
        for what, val in (("latency", latency_cycles[h.name]), ("memory", memory_bytes[h.name])):
            if not np.isfinite(val) or val <= 0:
                raise ValueError(f"{what} budget for {h.name} must be a positive number, got {val}")
    if max_density is not None and not 0 < max_density <= 1:
        raise ValueError(f"overall density must be in (0, 1], got {max_density}")
    bounds = bounds or Bounds()
    bounds.validate(names)
    formats = common_formats(specs, bounds.formats)
    structures = {structure_key(structure_for(specs[0].format(f))): structure_for(specs[0].format(f))
                  for f in formats if f != "dense"}
    curves = load_or_compute(layers, structures, cache_dir, progress=progress)
    options = build_options(layers, curves, specs, formats, bounds)
    if callable(sensitivity):  # computed from the curves, e.g. planner.sensitivity.output_probe
        sensitivity = sensitivity(curves)
    total_weights = sum(l.weight.numel() for l in layers)
    nnz_cap = None if max_density is None else max_density * total_weights
    eff = Budgets(dict(latency_cycles), dict(memory_bytes), nnz_cap)
    memo: dict = {}
    dense_sims = {h.name: simulate_weights(h, names, [l.weight.numpy() for l in layers], ["dense"] * len(layers))
                  for h in specs}
    history = []
    for rnd in range(1, MAX_ROUNDS + 1):
        alloc: Allocation = allocate(options, len(layers), eff, sensitivity)
        chosen = [options[i] for i in alloc.option]
        realised = [_realise(l, o, d, specs[0].format(o.format), curves, memo)
                    for l, o, d in tqdm(list(zip(layers, chosen, alloc.density)), desc=f"masks (round {rnd})",
                                        disable=not progress, leave=False)]
        weights = [r[0] for r in realised]
        sims = {h.name: simulate_weights(h, names, weights, [o.format for o in chosen]) for h in specs}
        over = {}
        for h in specs:
            sim = sims[h.name]
            if sim.total_cycles > latency_cycles[h.name]:
                over[("latency", h.name)] = sim.total_cycles / latency_cycles[h.name]
            if sim.total_bytes > memory_bytes[h.name]:
                over[("memory", h.name)] = sim.total_bytes / memory_bytes[h.name]
        kept = sum(r[1] for r in realised)
        if nnz_cap is not None and kept > nnz_cap:
            over[("nonzeros", "all")] = kept / nnz_cap
        history.append({"round": rnd, "program": alloc.program, "over": {f"{k}:{h}": float(v) for (k, h), v in over.items()}})
        if not over:
            break
        for (kind, h), ratio in over.items():  # tighten by the observed ratio and re-solve
            if kind == "nonzeros":
                eff.max_nonzeros = eff.max_nonzeros / ratio * 0.998
                continue
            target = eff.latency_cycles if kind == "latency" else eff.memory_bytes
            target[h] = target[h] / ratio * 0.998
    else:
        worst = ", ".join(f"{k} on {h} {v:.3f}x" for (k, h), v in over.items())
        raise ValueError(f"could not meet the budgets after {MAX_ROUNDS} closed-loop rounds (still over: {worst})")

    plans = []
    for li, (layer, opt, (w, nnz, err)) in enumerate(zip(layers, chosen, realised)):
        lp = LayerPlan(layer.name, layer.shape[0], layer.shape[1], opt.format, opt.structure, nnz, err, w.astype(np.float32))
        for h in specs:
            row = sims[h.name].table.iloc[li]
            lp.per_target[h.name] = {
                "bytes": int(row["bytes"]),
                "analytic_cycles": float(layer_cost(*layer.shape, lp.density, opt.format, h, first=li == 0)["cycles"][0]),
                "simulated_cycles": float(row["cycles"]),
            }
        plans.append(lp)
    targets = {}
    for h in specs:
        sim, dense = sims[h.name], dense_sims[h.name]
        targets[h.name] = {
            "spec_hash": h.source_hash,
            "clock_hz": h.clock_hz,
            "budgets": {"latency_cycles": latency_cycles[h.name], "latency_s": latency_cycles[h.name] / h.clock_hz,
                        "memory_bytes": memory_bytes[h.name]},
            "simulated": {"cycles": sim.total_cycles, "seconds": sim.total_s, "bytes": sim.total_bytes},
            "dense": {"cycles": dense.total_cycles, "seconds": dense.total_s, "bytes": dense.total_bytes},
        }
    solver = {"sensitivity": None if sensitivity is None else [round(float(v), 6) for v in sensitivity],
              "program": alloc.program, "solver": "HIGHS", "status": alloc.status, "objective": alloc.distortion,
              "rounds": history}
    return Plan(plans, targets, solver)
