"""Write a memory request trace in the plain-text format DRAMsim3 (and Ramulator's ``--trace``) replay:
one ``0x<address> READ <cycle>`` line per burst request, cycles in the memory clock."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def write_trace(path: str | Path, addresses: np.ndarray, cycles: np.ndarray) -> int:
    """Write the trace atomically; returns the number of requests written."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    lines = np.char.add(np.char.add(np.char.add("0x", np.char.mod("%x", np.asarray(addresses))), " READ "),
                        np.asarray(cycles).astype(str))
    with open(tmp, "w") as f:
        if lines.size:
            f.write("\n".join(lines.tolist()) + "\n")
    tmp.replace(path)
    return int(lines.size)
