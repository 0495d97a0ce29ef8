"""On-chip SRAM / TCM: fixed ``latency_cycles`` to first data, then one bus word per clock, fully pipelined."""
from __future__ import annotations

import numpy as np

from ..spec import SramSpec


def simulate_sram(addresses: np.ndarray, spec: SramSpec) -> np.ndarray:
    """Completion cycle (SRAM clock) of each bus-word read."""
    n = np.asarray(addresses).size
    return spec.latency_cycles + np.arange(1, n + 1, dtype=np.float64)
