"""Closed-form cost model: bytes and cycles of a layer from (rows, cols, density, format, spec, batch).

It is the cycle-level pipeline with expected values: bytes from the format's size formula, read cycles from the
number of bursts times the memory's streaming cost per burst (for DRAM measured once per spec by the cycle-level
model on a sequential stream, since row misses and refresh make it data-dependent), decode and MAC cycles from the
spec's rates.  With DMA staging a layer costs the slowest of its three stages; with direct reads their sum.
``tests/simulators/test_analytic.py`` checks it against :func:`simulators.engine.simulate`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine import decode_cycles
from .memory import read_completion_s
from .spec import HardwareSpec


@dataclass(frozen=True)
class StreamCost:
    """Streaming read cost of a memory in core cycles: per burst in steady state, to the first burst, and the
    extra cost of a jump between the sections of a layout (row misses) when a tile switches section."""

    per_burst_cycles: float
    first_cycles: float
    jump_cycles: float


_CACHE: dict[str, StreamCost] = {}


def _stream_cost(memory, clock_hz: float, chunk_bursts: int) -> StreamCost:
    key = memory.model_dump_json() + f"@{clock_hz}/{chunk_bursts}"
    if key not in _CACHE:
        _CACHE[key] = _measure_stream(memory, clock_hz, chunk_bursts)
    return _CACHE[key]


def _measure_stream(memory, clock_hz: float, chunk_bursts: int) -> StreamCost:
    n = 8192 if memory.kind == "dram" else 256
    bb = memory.burst_bytes
    seq = np.arange(n, dtype=np.int64) * bb
    done = read_completion_s(seq, memory) * clock_hz
    per_burst = float(done[-1] - done[0]) / (n - 1)
    # two streams far apart, alternating chunks: what a multi-section layout does tile after tile
    chunk = max(1, chunk_bursts)
    k = np.arange(n, dtype=np.int64)
    stream_b = (k // chunk) % 2
    pos = (k // (2 * chunk)) * chunk + k % chunk
    alt = (pos * bb + stream_b * (n * bb * 37 + 3 * bb)).astype(np.int64)
    alt_done = read_completion_s(alt, memory) * clock_hz
    jumps = max(1, int(np.count_nonzero(np.diff(stream_b))))
    jump = max(0.0, float(alt_done[-1] - done[-1]) / jumps)
    return StreamCost(per_burst, float(done[0]), jump)


def stream_cost(spec: HardwareSpec) -> StreamCost:
    """Steady-state cycles per burst and first-burst latency of the weight memory, in core cycles."""
    mem = spec.weight_memory
    return _stream_cost(mem, spec.clock_hz, int(spec.weights.tile_bytes // (2 * mem.burst_bytes)))


def layer_cost(rows: int, cols: int, density, format_name: str, spec: HardwareSpec, batch: int | None = None,
               first: bool = False) -> dict[str, np.ndarray]:
    """Expected bytes and cycles of one layer; ``density`` may be an array.  ``first``: pay the stream start-up."""
    batch = batch or spec.weights.batch
    d = np.atleast_1d(np.asarray(density, np.float64))
    fmt = spec.format(format_name)
    dtype, align = spec.weights.dtype, spec.weights.alignment_bytes
    mem = spec.weight_memory
    nbytes = np.array([fmt.expected_bytes(rows, cols, x, dtype, align) for x in d])
    entries = np.array([fmt.expected_entries(rows, cols, x) for x in d])
    sc = stream_cost(spec)
    sections = fmt.section_bytes(rows, cols, fmt.expected_counts(rows, cols, 1.0), 8)
    n_streams = sum(1 for b in sections if b > 64)  # sections that span tiles (not a small header)
    tiles = np.ceil(nbytes / spec.weights.tile_bytes)
    jumps = tiles * n_streams if n_streams > 1 else 0.0
    read = (np.ceil(nbytes / mem.burst_bytes) * sc.per_burst_cycles + jumps * sc.jump_cycles
            + (sc.first_cycles if first else 0.0))
    fcost = spec.formats[format_name]
    dec = decode_cycles(nbytes, entries, fcost, batch) + fcost.setup_cycles
    skip = spec.compute.skips_zero_weights and format_name != "dense"
    macs = (entries if skip else np.full_like(d, rows * cols)) * batch
    comp = macs / spec.compute.macs_per_cycle[dtype] + spec.compute.layer_overhead_cycles
    if spec.weights.staging == "dma":
        cycles = np.maximum(np.maximum(read, dec), comp)
    else:
        cycles = read + dec + comp
    return {"bytes": nbytes, "read_cycles": read, "decode_cycles": dec, "compute_cycles": comp, "cycles": cycles}
