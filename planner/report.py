"""Render per-layer tables for the terminal and as JSON."""
from __future__ import annotations

import json
import math

import pandas as pd


def table_text(df: pd.DataFrame, float_cols: dict[str, str] | None = None) -> str:
    """Fixed-width text of a DataFrame with per-column float formats (e.g. ``{"density": "{:.3f}"}``)."""
    fmt = float_cols or {}
    shown = df.copy()
    for col, f in fmt.items():
        if col in shown:
            shown[col] = shown[col].map(lambda v, f=f: f.format(v) if isinstance(v, (int, float)) and math.isfinite(v) else str(v))
    return shown.to_string(index=False)


def to_json(obj) -> str:
    """JSON with numpy/pandas scalars converted."""

    def default(o):
        if hasattr(o, "item"):
            return o.item()
        if isinstance(o, pd.DataFrame):
            return o.to_dict(orient="records")
        raise TypeError(f"not JSON serialisable: {type(o).__name__}")

    return json.dumps(obj, indent=2, default=default)
