"""Gradual pruning schedules."""
from __future__ import annotations


def cubic_density(step: int, final_density: float, start: int, end: int, initial_density: float = 1.0) -> float:
    """Zhu & Gupta (2017): density falls from ``initial_density`` at ``start`` to ``final_density`` at ``end``
    along ``d_f + (d_i - d_f) * (1 - progress)^3`` (fast at first, slow near the end)."""
    if end <= start:
        return final_density if step >= start else initial_density
    progress = min(1.0, max(0.0, (step - start) / (end - start)))
    return final_density + (initial_density - final_density) * (1.0 - progress) ** 3
