"""Calibrate a spec's cost fields (overheads, decoder rates) to measured calls, and check what it predicts.

The fit is robust least squares (scipy ``least_squares``, soft-L1 loss) on ``log(predicted / measured)`` seconds,
so a time off by 2x weighs the same on a 20 us call as on a 2 ms one, and a few measurements that disagree with
the rest (clock changes, a kernel the library picked for one shape only) pull the fit less than squares would.
Only the named fields move; everything else in the spec keeps its physical value.  Predictions use the analytic
model (within 3% of the cycle-level simulator), so a fit of a dozen fields over fifty calls takes seconds.

:func:`cross_validate` refits with each group of calls (by default each matrix shape) held out and predicts it:
the honest figure for how the spec predicts calls it was not fitted to.  :func:`rewrite_spec_text` writes fitted
values into the spec file's text, keeping its comments and layout.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import least_squares

from .measurements import predict_seconds, with_speedups
from .spec import HardwareSpec, parse_spec, set_fields


SEARCH_FACTOR = 100.0  # each field is searched within this factor of its start value


@dataclass
class Calibration:
    """Fitted ``values`` (dotted key -> number), the fitted spec, and the per-call table it predicts."""

    values: dict[str, float]
    spec: HardwareSpec
    table: pd.DataFrame


def parse_fit_fields(items, data: dict) -> dict[str, float]:
    """``KEY`` or ``KEY=START`` items -> start values; a ``KEY`` alone starts from the spec's own number."""
    start = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not key:
            raise ValueError(f"--fit expects KEY or KEY=START (e.g. formats.csr.setup_cycles), got {item!r}")
        raw = yaml.safe_load(value) if sep else _lookup(data, key)
        if isinstance(raw, str):
            raise ValueError(f"--fit {key}: the spec holds {raw!r}, a quantity with a unit; calibrate fits fields "
                             f"that are plain numbers (cycles, rates per cycle)")
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not np.isfinite(raw) or raw <= 0:
            raise ValueError(f"--fit {key}: needs a positive number to start from (the spec holds {raw!r}); "
                             f"give one as {key}=START")
        start[key] = float(raw)
    if not start:
        raise ValueError("nothing to fit: give --fit KEY[=START] at least once")
    return start


def _lookup(data: dict, key: str):
    node = data
    for p in key.split("."):
        if not isinstance(node, dict) or p not in node:
            return None
        node = node[p]
    return node


def _spec_with(data: dict, source: str, values: dict[str, float]) -> HardwareSpec:
    return parse_spec(set_fields(data, values.items(), source, create=True), source)


def fit_spec(data: dict, source: str, measured: pd.DataFrame, start: dict[str, float], f_scale: float = 0.1,
             max_evaluations: int = 400) -> Calibration:
    """Fit the fields ``start`` names (positive numbers, searched in log space within ``SEARCH_FACTOR`` of the
    start: a field the measurements do not pin down stays near its start) so the analytic model predicts
    ``measured`` (canonical measurement columns); ``f_scale`` is the log-residual where soft-L1 turns linear."""
    keys = list(start)
    _spec_with(data, source, start)  # a bad key or start value fails here, once, with the spec's own message
    seconds = measured["seconds"].to_numpy(float)

    def residuals(log_x):
        spec = _spec_with(data, source, dict(zip(keys, np.exp(log_x))))
        return np.log(predict_seconds(spec, measured) / seconds)

    x0 = np.log([start[k] for k in keys])
    span = np.log(SEARCH_FACTOR)
    res = least_squares(residuals, x0, bounds=(x0 - span, x0 + span), loss="soft_l1", f_scale=f_scale,
                        max_nfev=max_evaluations, diff_step=1e-3)
    values = {k: _round(v) for k, v in zip(keys, np.exp(res.x))}
    spec = _spec_with(data, source, values)
    return Calibration(values, spec, with_speedups(measured, predict_seconds(spec, measured)))


def cross_validate(data: dict, source: str, measured: pd.DataFrame, start: dict[str, float],
                   groups: tuple[str, ...] = ("rows", "cols"), f_scale: float = 0.1) -> pd.DataFrame:
    """Held-out predictions: for each group (e.g. each matrix shape), fit on the other groups, predict this one.
    Returns the measurement table with held-out ``predicted_s`` and speed-up columns, and the ``fold``."""
    folds = []
    for fold, (_, held) in enumerate(measured.groupby(list(groups), sort=False)):
        train = measured.drop(held.index)
        if train.empty:
            raise ValueError("cross-validation needs at least two groups of measurements (e.g. two matrix shapes)")
        cal = fit_spec(data, source, train.reset_index(drop=True), start, f_scale)
        folds.append(with_speedups(held, predict_seconds(cal.spec, held)).assign(fold=fold))
    return pd.concat(folds).sort_index()


def summary(df: pd.DataFrame, tolerance: float = 0.20) -> dict:
    """How close the predictions in ``df`` (see :func:`with_speedups`) are: counts within ``tolerance``."""
    sparse = df[(df.format != "dense") & df.speedup_error.notna()]
    return {
        "calls": int(len(df)),
        "time_within": int((df.time_error.abs() <= tolerance).sum()),
        "time_median_error": float(df.time_error.abs().median()),
        "speedups": int(len(sparse)),
        "speedup_within": int((sparse.speedup_error.abs() <= tolerance).sum()),
        "speedup_median_error": float(sparse.speedup_error.abs().median()) if len(sparse) else float("nan"),
        "speedup_worst_error": float(sparse.speedup_error.abs().max()) if len(sparse) else float("nan"),
        "direction_right": int(((sparse.predicted_speedup > 1) == (sparse.measured_speedup > 1)).sum()),
        "tolerance": tolerance,
    }


REPORT_COLUMNS = ["rows", "cols", "batch", "format", "density", "measured_us", "predicted_us", "time_error",
                  "measured_speedup", "predicted_speedup", "speedup_error"]


def report_table(df: pd.DataFrame) -> pd.DataFrame:
    """The per-call columns a person reads (see :func:`~simulators.measurements.with_speedups`), times in us."""
    return df.assign(measured_us=df.seconds * 1e6, predicted_us=df.predicted_s * 1e6)[REPORT_COLUMNS]


def summary_line(label: str, s: dict) -> str:
    """One sentence of a :func:`summary`."""
    tol = f"{s['tolerance']:.0%}"
    return (f"{label}: time within {tol} for {s['time_within']}/{s['calls']} calls (median error "
            f"{s['time_median_error']:.1%}); speed-up over dense within {tol} for {s['speedup_within']}/"
            f"{s['speedups']} (median {s['speedup_median_error']:.1%}, worst {s['speedup_worst_error']:.1%}); "
            f"faster/slower than dense right for {s['direction_right']}/{s['speedups']}")


def _round(x: float, digits: int = 4) -> float:
    return float(f"{x:.{digits}g}")


def _number_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else np.format_float_positional(x, trim="-")


def rewrite_spec_text(text: str, values: dict[str, float]) -> str:
    """``text`` (a spec file) with each dotted key's value replaced by the number, comments and layout kept; a key
    missing from its (block) mapping is added after that mapping's last entry."""
    for key, value in values.items():
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        parts = key.split(".")
        node = root
        for p in parts[:-1]:
            node = _child(node, p, key)
        new = _number_text(value)
        target = _child(node, parts[-1], key, required=False)
        if target is not None:
            if not isinstance(target, yaml.ScalarNode):
                raise ValueError(f"{key}: not a plain value in the spec text")
            text = text[:target.start_mark.index] + new + text[target.end_mark.index:]
            continue
        if not isinstance(node, yaml.MappingNode) or node.flow_style or not node.value:
            raise ValueError(f"{key}: cannot add a key to that mapping in the spec text; add it by hand")
        indent = node.value[0][0].start_mark.column
        end = text.find("\n", _last_scalar_end(node))
        end = len(text) if end < 0 else end
        text = text[:end] + "\n" + " " * indent + f"{parts[-1]}: {new}" + text[end:]
    return text


def _child(node, name: str, key: str, required: bool = True):
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == name:
                return v
    if required:
        raise ValueError(f"{key}: the spec text has no {name!r} on that path")
    return None


def _last_scalar_end(node) -> int:
    """Text index where the last scalar (or flow collection) of a block collection ends."""
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    return node.end_mark.index
