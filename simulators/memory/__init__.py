"""Memory models, one module per memory kind, chosen by the spec's ``kind`` field."""
from __future__ import annotations

import numpy as np

from .dram import simulate_dram
from .flash import simulate_flash
from .sram import simulate_sram


def read_completion_s(addresses: np.ndarray, memory) -> np.ndarray:
    """Seconds at which each burst-sized read at ``addresses`` completes, the stream starting at time 0."""
    if memory.kind == "dram":
        cycles = simulate_dram(addresses, memory).done_cycles
    elif memory.kind == "flash":
        cycles = simulate_flash(addresses, memory)
    elif memory.kind == "sram":
        cycles = simulate_sram(addresses, memory)
    else:  # the spec loader makes this unreachable
        raise ValueError(f"unknown memory kind {memory.kind!r}")
    return np.asarray(cycles, np.float64) / memory.clock_hz


__all__ = ["read_completion_s", "simulate_dram", "simulate_flash", "simulate_sram"]
