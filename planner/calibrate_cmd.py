"""``planner calibrate``: check a spec against measured calls, optionally fit some of its fields first."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from simulators.calibrate import (cross_validate, fit_spec, parse_fit_fields, report_table, rewrite_spec_text,
                                  summary)
from simulators.measurements import predict_seconds, read_measurements, with_speedups
from simulators.spec import parse_spec, read_spec_data

@dataclass
class CalibrationReport:
    """What ``planner calibrate`` prints: fitted fields (empty for a plain check), per-call table, summaries."""

    fields: pd.DataFrame
    table: pd.DataFrame
    summary: dict
    cross_validation: dict | None
    spec_text: str | None  # the spec file's text with the fitted values, when fields were fitted


def run_calibration(spec_path: str, measured_path: str, fit_items: list[str], method: str = "analytic",
                    cv: bool = True, tolerance: float = 0.20) -> CalibrationReport:
    """Predict every measured call with the spec (``method``: analytic or the cycle-level simulator); with
    ``fit_items`` (``KEY`` or ``KEY=START``) first fit those fields, and cross-validate by matrix shape."""
    raw, data = read_spec_data(spec_path)
    spec = parse_spec(data, spec_path)
    measured = read_measurements(measured_path)
    fields = pd.DataFrame(columns=["field", "start", "fitted"])
    cv_summary, text, table = None, None, None
    if fit_items:
        start = parse_fit_fields([f for item in fit_items for f in item.split(",") if f.strip()], data)
        cal = fit_spec(data, spec_path, measured, start)
        spec = cal.spec
        table = cal.table if method == "analytic" else None  # already predicted by the fit
        fields = pd.DataFrame({"field": list(start), "start": list(start.values()), "fitted": list(cal.values.values())})
        if cv and measured.groupby(["rows", "cols"]).ngroups >= 2:
            cv_summary = summary(cross_validate(data, spec_path, measured, start), tolerance)
        text = rewrite_spec_text(raw.decode("utf-8"), cal.values)
        if parse_spec(yaml.safe_load(text), spec_path) != cal.spec:  # what is written must be what was fitted
            raise ValueError(f"{spec_path}: could not write the fitted values into the spec text; set them by hand: "
                             + ", ".join(f"{k}: {v}" for k, v in cal.values.items()))
    if table is None:
        table = with_speedups(measured, predict_seconds(spec, measured, method))
    return CalibrationReport(fields, report_table(table), summary(table, tolerance), cv_summary, text)


def write_spec(text: str, out: str | Path) -> Path:
    """Write a fitted spec; never over an existing file."""
    out = Path(out)
    if out.exists():
        raise ValueError(f"{out} exists; choose another --out (a fitted spec never overwrites a file)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out
