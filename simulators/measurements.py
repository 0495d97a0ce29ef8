"""Measured layer timings: read a table of real calls (one weight matrix times ``batch`` input columns per call) and
predict each call with a spec, by the analytic model or the cycle-level simulator.

Canonical columns: ``rows, cols, batch, format, density, seconds``.  Also read: ``out``/``in`` for rows/cols,
``sparsity`` for ``1 - density``, ``median_us``/``time_us``/``time_s`` for the time, and format labels ``N:M``
(e.g. ``2:4``) for the ``nm`` format with those parameters.  Lines starting with ``#`` are comments.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .analytic import layer_cost
from .engine import simulate
from .spec import HardwareSpec
from .workload import random_weights

_ALIASES = {"out": "rows", "in": "cols"}
_TIME_COLUMNS = {"seconds": 1.0, "time_s": 1.0, "median_us": 1e-6, "time_us": 1e-6}
_NM_LABEL = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")


def read_measurements(path: str | Path) -> pd.DataFrame:
    """The measurement table at ``path`` (CSV) in canonical columns, extra columns kept; a clear error otherwise."""
    try:
        df = pd.read_csv(path, comment="#", skipinitialspace=True)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise ValueError(f"{path}: cannot read measurements ({e})") from None
    return normalise_measurements(df, str(path))


def normalise_measurements(df: pd.DataFrame, source: str = "<measurements>") -> pd.DataFrame:
    """Canonical columns (see module doc), validated: positive shapes, batch and times, density in (0, 1]."""
    df = df.rename(columns={k: v for k, v in _ALIASES.items() if k in df and v not in df})
    if "density" not in df and "sparsity" in df:
        df = df.assign(density=1.0 - pd.to_numeric(df["sparsity"], errors="coerce"))
    if "seconds" not in df:
        for col, scale in _TIME_COLUMNS.items():
            if col in df:
                df = df.assign(seconds=pd.to_numeric(df[col], errors="coerce") * scale)
                break
    missing = [c for c in ("rows", "cols", "batch", "format", "density", "seconds") if c not in df]
    if missing:
        raise ValueError(f"{source}: missing column(s) {missing}; need rows (or out), cols (or in), batch, format, "
                         f"density (or sparsity) and seconds (or median_us / time_us / time_s)")
    if df.empty:
        raise ValueError(f"{source}: no measurement rows")
    out = df.copy()
    for col in ("rows", "cols", "batch", "density", "seconds"):
        out[col] = pd.to_numeric(out[col], errors="coerce")
    bad = ~(np.isfinite(out[["rows", "cols", "batch", "density", "seconds"]].astype(float)).all(axis=1)
            & (out.rows >= 1) & (out.cols >= 1) & (out.batch >= 1) & (out.density > 0) & (out.density <= 1)
            & (out.seconds > 0))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{source}: row {i + 1} is not a valid measurement (positive rows, cols, batch and time, "
                         f"density in (0, 1]): {df.iloc[i].to_dict()}")
    out[["rows", "cols", "batch"]] = out[["rows", "cols", "batch"]].astype(int)
    out["format"] = out["format"].astype(str).str.strip()
    return out.reset_index(drop=True)


def spec_format_name(label: str, spec: HardwareSpec) -> str:
    """The spec's format for a measurement's label: a format name, or ``N:M`` for ``nm`` with those parameters."""
    m = _NM_LABEL.match(label)
    if m:
        n, mm = int(m.group(1)), int(m.group(2))
        params = spec.formats["nm"].params if "nm" in spec.formats else None
        if params is None or (params.get("n"), params.get("m")) != (n, mm):
            raise ValueError(f"measured format {label!r} needs spec {spec.name!r} to have formats.nm with "
                             f"params {{n: {n}, m: {mm}}}; it has {params}")
        return "nm"
    if label not in spec.formats:
        raise ValueError(f"measured format {label!r} is not in spec {spec.name!r} ({', '.join(spec.formats)})")
    return label


def predict_seconds(spec: HardwareSpec, table: pd.DataFrame, method: str = "analytic", seed: int = 0) -> np.ndarray:
    """Predicted seconds of every call in ``table`` on ``spec``, each a layer alone: ``analytic`` (closed form,
    fast) or ``simulate`` (random weights at the row's density encoded in the format, cycle-level simulation)."""
    if method not in ("analytic", "simulate"):
        raise ValueError(f"method must be 'analytic' or 'simulate', got {method!r}")
    rng = np.random.default_rng(seed)
    encoded = {}  # calls that differ only in batch read the same layout
    out = np.empty(len(table))
    for i, r in enumerate(table.itertuples(index=False)):
        fname = spec_format_name(r.format, spec)
        if method == "analytic":
            cycles = float(layer_cost(r.rows, r.cols, r.density, fname, spec, batch=r.batch, first=True)["cycles"][0])
        else:
            key = (r.rows, r.cols, fname, r.density)
            if key not in encoded:
                fmt = spec.format(fname)
                w = random_weights(r.rows, r.cols, r.density, fmt, spec.weights.dtype, rng)
                encoded[key] = fmt.encode(w, spec.weights.dtype, spec.weights.alignment_bytes)
            cycles = simulate(["layer"], [encoded[key]], spec, batch=r.batch).total_cycles
        out[i] = cycles / spec.clock_hz
    return out


def with_speedups(table: pd.DataFrame, predicted_s: np.ndarray) -> pd.DataFrame:
    """``table`` plus ``predicted_s``, ``time_error`` and, where the same (rows, cols, batch) has a dense row,
    measured and predicted speed-ups over dense and the speed-up error (predicted / measured - 1)."""
    df = table.copy()
    df["predicted_s"] = predicted_s
    df["time_error"] = df.predicted_s / df.seconds - 1.0
    key = ["rows", "cols", "batch"]
    dense = df[df.format == "dense"].groupby(key)[["seconds", "predicted_s"]].median()
    joined = df.join(dense, on=key, rsuffix="_dense")
    df["measured_speedup"] = joined["seconds_dense"] / df.seconds
    df["predicted_speedup"] = joined["predicted_s_dense"] / df.predicted_s
    df["speedup_error"] = df.predicted_speedup / df.measured_speedup - 1.0
    return df
