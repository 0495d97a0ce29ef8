"""Per-layer density and format allocation as one convex program (cvxpy).

Built from small named pieces (see :func:`build_problem`):
- variables per (layer, option): density ``d``, selector ``z`` (boolean when a layer has several options, so the
  problem is a MILP solved by HiGHS; an LP when every layer has one option), epigraph variables for distortion,
  latency and memory;
- distortion objective ``sum_l s_l e_l`` with ``e >= a_k d + b_k z``, the pieces of the lower convex hull of the
  layer's sampled compressed-sensing curve (convex, decreasing, piecewise linear);
- one latency constraint and one memory constraint per hardware spec, each layer's cost the convex
  piecewise-linear hull of the analytic model's cycles (bytes) sampled over the option's density range.
Multiplying the intercepts by ``z`` (the perspective) makes an unchosen option cost nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import contextlib
import os
import sys

import cvxpy as cp
import numpy as np
import scipy.sparse as sp


def convex_pieces(x, y) -> list[tuple[float, float]]:
    """Slopes and intercepts of the lower convex hull of points ``(x, y)``: ``max_k(a_k x + b_k)`` is convex and
    passes through every hull vertex.  A single point gives a constant."""
    pts = sorted(zip(map(float, x), map(float, y)))
    xs = np.array([p[0] for p in pts])
    if np.ptp(xs) < 1e-12:
        return [(0.0, float(max(p[1] for p in pts)))]
    hull: list[tuple[float, float]] = []
    for p in pts:
        while hull and abs(hull[-1][0] - p[0]) < 1e-12:  # same x: keep the lower y
            if p[1] < hull[-1][1]:
                hull.pop()
            else:
                p = None
                break
        if p is None:
            continue
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (y2 - y1) * (p[0] - x1) >= (p[1] - y1) * (x2 - x1):  # middle point above the chord
                hull.pop()
            else:
                break
        hull.append(p)
    pieces = []
    for (x1, y1), (x2, y2) in zip(hull, hull[1:]):
        a = (y2 - y1) / (x2 - x1)
        pieces.append((a, y1 - a * x1))
    return pieces


@dataclass
class Option:
    """One way to store a layer: a format (with its mask structure) over a density range, with its convex pieces."""

    layer: int
    format: str
    structure: str
    d_lo: float
    d_hi: float
    distortion: list[tuple[float, float]]
    latency: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # spec -> cycle pieces
    memory: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # spec -> byte pieces
    size: int = 0  # weights in the layer (for an overall nonzero cap)


@dataclass
class Budgets:
    """Per spec: latency in that spec's core cycles, weight memory in bytes."""

    latency_cycles: dict[str, float]
    memory_bytes: dict[str, float]
    max_nonzeros: float | None = None  # optional cap on the total nonzeros (an overall sparsity target)


@dataclass
class Allocation:
    """Solver output: the chosen option and density of every layer, plus the program's predictions."""

    option: list[int]
    density: np.ndarray
    distortion: float
    latency_cycles: dict[str, float]
    memory_bytes: dict[str, float]
    program: str
    status: str


class Infeasible(ValueError):
    """The budgets cannot be met; ``reach`` holds the smallest latency and memory reachable per spec."""

    def __init__(self, message: str, reach: dict):
        super().__init__(message)
        self.reach = reach


TIE_BREAK = 1e-5  # weight of normalised latency + memory in the objective, relative to distortion


def _piece_rows(options: list[Option], get) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    idx, a, b = [], [], []
    for i, o in enumerate(options):
        for ak, bk in get(o):
            idx.append(i)
            a.append(ak)
            b.append(bk)
    return np.array(idx, int), np.array(a), np.array(b)


def build_problem(options: list[Option], n_layers: int, budgets: Budgets | None, sensitivity: np.ndarray,
                  objective: str = "distortion", spec: str | None = None, relax: bool = False):
    """The cvxpy problem and its variables.  ``objective`` is ``distortion`` (the plan), or ``latency``/``memory``
    of one ``spec`` (to report the smallest reachable when budgets are infeasible)."""
    n = len(options)
    layer_of = np.array([o.layer for o in options])
    multi = np.bincount(layer_of, minlength=n_layers).max() > 1
    d = cp.Variable(n, name="density")
    if multi:
        z = cp.Variable(n, name="choose", nonneg=True) if relax else cp.Variable(n, boolean=True, name="choose")
    else:
        z = np.ones(n)
    e = cp.Variable(n, nonneg=True, name="distortion")
    lo = np.array([o.d_lo for o in options])
    hi = np.array([o.d_hi for o in options])
    cons = [d >= cp.multiply(lo, z), d <= cp.multiply(hi, z)] + ([z <= 1] if multi and relax else [])
    if multi:
        one_per_layer = sp.csr_matrix((np.ones(n), (layer_of, np.arange(n))), shape=(n_layers, n))
        cons.append(one_per_layer @ z == 1)
    if budgets is not None and budgets.max_nonzeros is not None and objective == "distortion":
        sizes = np.array([o.size for o in options], float)
        cons.append(cp.sum(cp.multiply(sizes / budgets.max_nonzeros, d)) <= 1.0)
    pi, pa, pb = _piece_rows(options, lambda o: o.distortion)
    cons.append(e[pi] >= cp.multiply(pa, d[pi]) + cp.multiply(pb, z[pi] if multi else 1.0))
    totals = {}
    specs = sorted(options[0].latency) if options else []
    per_layer = max(1.0, n / max(1, n_layers))
    for h in specs:
        for kind, get in (("latency", lambda o, h=h: o.latency[h]), ("memory", lambda o, h=h: o.memory[h])):
            # work in units of a typical total (the mean option at its highest density, summed over layers), so the
            # variables are O(1) whatever the budget and solver tolerances mean the same everywhere
            scale = max(sum(max(a * o.d_hi + b for a, b in get(o)) for o in options) / per_layer, 1e-9)
            var = cp.Variable(n, nonneg=True, name=f"{kind}_{h}")
            qi, qa, qb = _piece_rows(options, get)
            cons.append(var[qi] >= cp.multiply(qa / scale, d[qi]) + cp.multiply(qb / scale, z[qi] if multi else 1.0))
            totals[(kind, h)] = (var, scale)
            if budgets is not None and objective == "distortion":
                budget = budgets.latency_cycles[h] if kind == "latency" else budgets.memory_bytes[h]
                cons.append(cp.sum(var) <= budget / scale)
    if objective == "distortion":
        # tie-break: among equally accurate choices (formats sharing a mask structure) prefer the faster and smaller
        tie = sum(cp.sum(var) for var, _ in totals.values())
        obj = cp.Minimize(cp.sum(cp.multiply(sensitivity[layer_of], e)) + TIE_BREAK * tie)
    else:
        obj = cp.Minimize(cp.sum(totals[(objective, spec)][0]))
    return cp.Problem(obj, cons), d, z, e, totals, multi


@contextlib.contextmanager
def _native_stdout_silenced():
    """HiGHS prints a banner from C++ whatever its options say; keep stdout clean for tables and ``--json``."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _solve(problem: cp.Problem, multi: bool, solver: str = cp.HIGHS) -> None:
    # a tight MIP gap so that the small tie-break term still decides between equally accurate formats
    opts = {"mip_rel_gap": 1e-9, "mip_abs_gap": 1e-12} if multi and solver == cp.HIGHS else {}
    try:
        with _native_stdout_silenced():
            problem.solve(solver=solver, **opts)
    except cp.error.SolverError as err:
        raise ValueError(f"the convex solver failed: {err}") from None


def reachable(options: list[Option], n_layers: int) -> dict:
    """Smallest latency (cycles) and memory (bytes) each spec can reach, every layer free within its bounds."""
    out = {}
    for h in sorted(options[0].latency):
        out[h] = {}
        for kind in ("latency", "memory"):
            prob, _, _, _, totals, multi = build_problem(options, n_layers, None, np.ones(n_layers), kind, h)
            _solve(prob, multi)
            var, scale = totals[(kind, h)]
            out[h][kind] = float(var.value.sum() * scale) if prob.value is not None else float("nan")
    return out


MILP_MAX_BINARIES = 600


def _best_per_layer(options: list[Option], zval: np.ndarray, n_layers: int) -> list[int]:
    """Index of each layer's most-selected option."""
    layer_of = np.array([o.layer for o in options])
    return [int(cand[int(np.argmax(zval[cand]))]) for cand in (np.flatnonzero(layer_of == l) for l in range(n_layers))]


def _relax_and_repair(options: list[Option], n_layers: int, budgets: Budgets, sens: np.ndarray) -> list[int] | None:
    """Large models: solve the convex relaxation (selectors in [0, 1]), keep each layer's most-selected format,
    and return the kept option indices (an LP), or None when the relaxation is infeasible."""
    prob, _, z, _, _, _ = build_problem(options, n_layers, budgets, sens, relax=True)
    _solve(prob, True, cp.CLARABEL)  # an interior-point method is several times faster than simplex here
    if prob.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        return None
    return _best_per_layer(options, z.value, n_layers)


def allocate(options: list[Option], n_layers: int, budgets: Budgets, sensitivity: np.ndarray | None = None) -> Allocation:
    """Minimise total (sensitivity-weighted) distortion under every spec's latency and memory budget.

    Format choice is exact (MILP) up to ``MILP_MAX_BINARIES`` options; beyond, the convex relaxation picks the
    formats and an LP sets the densities (falling back to the MILP if that LP is infeasible)."""
    if not options:
        raise ValueError("nothing to allocate: no prunable layer")
    sens = np.ones(n_layers) if sensitivity is None else np.asarray(sensitivity, float)
    program, index, solved = None, list(range(len(options))), None
    if len(options) > max(MILP_MAX_BINARIES, n_layers):
        kept = _relax_and_repair(options, n_layers, budgets, sens)
        if kept is not None:
            repaired = build_problem([options[i] for i in kept], n_layers, budgets, sens)
            _solve(repaired[0], False)
            if repaired[0].status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
                index, program, solved = kept, "LP relaxation + repair", repaired
    options = [options[i] for i in index]
    if solved is None:  # the exact program (MILP when a layer has several formats)
        solved = build_problem(options, n_layers, budgets, sens)
        _solve(solved[0], solved[5])
    prob, d, z, e, totals, multi = solved
    if prob.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        reach = reachable(options, n_layers)
        problems = []
        for h, r in reach.items():
            if r["latency"] > budgets.latency_cycles[h] * (1 + 1e-9):
                problems.append(f"latency budget {budgets.latency_cycles[h]:.0f} cycles on {h} cannot be met "
                                f"(smallest reachable: {r['latency']:.0f} cycles)")
            if r["memory"] > budgets.memory_bytes[h] * (1 + 1e-9):
                problems.append(f"memory budget {budgets.memory_bytes[h]:.0f} bytes on {h} cannot be met "
                                f"(smallest reachable: {r['memory']:.0f} bytes)")
        if not problems:
            problems.append(f"the budgets cannot be met together (solver status: {prob.status})")
        raise Infeasible("; ".join(problems), reach)
    zval = np.asarray(z.value if multi else z)
    layer_of = np.array([o.layer for o in options])
    chosen = _best_per_layer(options, zval, n_layers)
    dens = np.array([float(np.clip(d.value[i] / max(zval[i], 1e-9), options[i].d_lo, options[i].d_hi)) for i in chosen])
    lat = {h: float(v.value.sum() * s) for (k, h), (v, s) in totals.items() if k == "latency"}
    mem = {h: float(v.value.sum() * s) for (k, h), (v, s) in totals.items() if k == "memory"}
    chosen = [index[i] for i in chosen]  # back to the caller's option list
    distortion = float(np.dot(sens[layer_of], e.value))  # the objective without its tie-break
    return Allocation(chosen, dens, distortion, lat, mem, program or ("MILP" if multi else "LP"), prob.status)
