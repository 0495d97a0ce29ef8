"""``planner simulate``: encode a layer list at one density and format, run the cycle-level and analytic models."""
from __future__ import annotations

import numpy as np
import pandas as pd

from simulators.analytic import layer_cost
from simulators.engine import SimResult, simulate
from simulators.spec import HardwareSpec
from simulators.workload import LayerShape, random_weights


def simulate_shapes(shapes: list[LayerShape], spec: HardwareSpec, density: float, format_name: str,
                    batch: int | None = None, seed: int = 0, keep_trace: bool = False) -> tuple[SimResult, pd.DataFrame]:
    """Random weights at ``density`` in ``format_name`` for every layer; returns the cycle-level result and its
    table with the analytic model's cycles and relative difference added."""
    if not 0.0 < density <= 1.0:
        raise ValueError(f"--density must be in (0, 1], got {density}")
    fmt = spec.format(format_name)
    rng = np.random.default_rng(seed)
    encoded = [fmt.encode(random_weights(s.rows, s.cols, density, fmt, spec.weights.dtype, rng), spec.weights.dtype,
                          spec.weights.alignment_bytes) for s in shapes]
    result = simulate([s.name for s in shapes], encoded, spec, batch=batch, keep_trace=keep_trace)
    table = result.table.copy()
    table["analytic_cycles"] = [
        float(layer_cost(s.rows, s.cols, e.row_nnz.sum() / (s.rows * s.cols), format_name, spec, batch,
                         first=(i == 0))["cycles"][0])
        for i, (s, e) in enumerate(zip(shapes, encoded))
    ]
    table["analytic_err"] = table["analytic_cycles"] / table["cycles"] - 1.0
    table["time_us"] = table["cycles"] / spec.clock_hz * 1e6
    return result, table
