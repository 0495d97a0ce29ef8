"""Write a memory request trace in the plain-text format DRAMsim3 (and Ramulator's ``--trace``) replay:
one ``0x<address> READ <cycle>`` line per burst request, in issue order.  ``cycle`` is the memory-clock cycle at
which the reader issues the request: one request per clock, as in the free-running stream the simulator models
(the controller's queue then applies back-pressure), which is also how the DRAMsim3 reference figures were made."""
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
