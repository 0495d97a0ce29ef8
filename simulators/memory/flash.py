"""NOR / QSPI flash read path, request by request.

Each request reads one line.  A line that does not follow the previous one pays ``access_latency`` (wait states,
or a QSPI command + address + dummy phase) before its transfer; with ``prefetch`` a sequential line's latency
overlaps the previous transfer, so it costs max(transfer, latency).  In-order, one request at a time, so the
completion times are an exact cumulative sum.
"""
from __future__ import annotations

import numpy as np

from ..spec import FlashSpec


def simulate_flash(addresses: np.ndarray, spec: FlashSpec) -> np.ndarray:
    """Completion cycle (flash clock) of each line read at byte ``addresses``."""
    a = np.asarray(addresses, np.int64)
    if a.size == 0:
        return np.zeros(0, np.float64)
    transfer = spec.line_bytes / spec.bytes_per_cycle
    sequential = np.zeros(a.size, bool)
    sequential[1:] = a[1:] == a[:-1] + spec.line_bytes
    seq_cost = max(transfer, spec.access_latency_cycles) if spec.prefetch else transfer + spec.access_latency_cycles
    cost = np.where(sequential, seq_cost, transfer + spec.access_latency_cycles)
    return np.cumsum(cost)
