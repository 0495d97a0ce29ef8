"""Closed-form cost model: bytes and cycles of a layer from (rows, cols, density, format, spec, batch).

It is the cycle-level pipeline with expected values: bytes from the format's size formula, read cycles from the
number of bursts times the memory's streaming cost per burst (for DRAM measured once per spec by the cycle-level
model on a sequential stream, since row misses and refresh make it data-dependent), decode and MAC cycles from the
spec's rates.  The three stages run through the same double-buffered tile recurrence as the simulator, on equal tiles.
A layer costs at least its host issue time, as in the simulator.
``tests/simulators/test_analytic.py`` checks it against :func:`simulators.engine.simulate`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine import _pipeline, decode_cycles
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


def layer_stages(rows: int, cols: int, density, format_name: str, spec: HardwareSpec, batch: int | None = None,
                 first: bool = False) -> dict[str, np.ndarray]:
    """Expected bytes, tiles and per-stage cycles (read, decode incl. set-up, compute incl. overhead) of one
    layer; ``density`` may be an array.  ``first``: the layer starts the stream and pays the first access."""
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
    # tiles hold whole rows, as the simulator cuts them: a new tile starts with the first row that starts past a
    # tile boundary, so the layout's last bytes (last row, section padding) never open a tile of their own
    tile_b = spec.weights.tile_bytes
    tiles = np.floor(np.maximum(nbytes - nbytes / max(rows, 1), 0.0) / tile_b) + 1.0
    jumps = tiles * n_streams if n_streams > 1 else 0.0
    read = (np.ceil(nbytes / mem.burst_bytes) * sc.per_burst_cycles + jumps * sc.jump_cycles
            + (sc.first_cycles if first else 0.0))
    fcost = spec.formats[format_name]
    dec = decode_cycles(nbytes, entries, np.full_like(d, rows), fcost, batch) + fcost.setup_cycles
    skip = spec.compute.skips_zero_weights and format_name != "dense"
    macs = (entries if skip else np.full_like(d, rows * cols)) * batch
    comp = macs / spec.compute.macs_per_cycle[dtype] + spec.compute.layer_overhead_cycles
    last_share = (nbytes - (tiles - 1) * tile_b) / tile_b  # the last tile's bytes, in full tiles
    return {"bytes": nbytes, "tiles": tiles, "last_tile_share": last_share, "read_cycles": read, "decode_cycles": dec, "compute_cycles": comp,
            "first_cycles": np.full_like(d, sc.first_cycles if first else 0.0),
            "setup_cycles": np.full_like(d, fcost.setup_cycles),
            "overhead_cycles": np.full_like(d, spec.compute.layer_overhead_cycles),
            "host_cycles": np.full_like(d, spec.host_cycles(format_name))}


def _refresh(spec: HardwareSpec) -> tuple[float, float]:
    """(interval, duration) of DRAM refresh in core cycles; (0, 0) for other memories."""
    mem = spec.weight_memory
    if mem.kind != "dram" or mem.timings_cycles["tREFI"] <= 0:
        return 0.0, 0.0
    scale = spec.clock_hz / mem.clock_hz
    return mem.timings_cycles["tREFI"] * scale, mem.timings_cycles["tRFC"] * scale


def _tile_arrays(st: dict, i: int, refresh: tuple[float, float] = (0.0, 0.0)):
    """Per-tile stage cycles of a layer: full tiles of ``tile_bytes`` and a last partial one, as the simulator cuts
    them; DRAM refresh stalls land on the tiles whose reads cross a refresh (the average read cost already holds
    them; here they are put where they happen)."""
    n = int(st["tiles"][i])
    share_of = np.ones(n)
    last = st["last_tile_share"][i]
    if n > 1:
        share_of[-1] = last
    share_of /= share_of.sum()
    stream = st["read_cycles"][i] - st["first_cycles"][i]
    r = stream * share_of
    interval, duration = refresh
    if interval > 0 and n > 1:
        refresh_share = duration / interval  # fraction of streaming time spent refreshing
        r = r * (1 - refresh_share)
        cum = np.cumsum(r) / (1 - refresh_share)
        hits = np.diff(np.concatenate([[0.0], np.floor(cum / interval)]))
        r = r + hits * duration
        r *= stream / r.sum()
    d = (st["decode_cycles"][i] - st["setup_cycles"][i]) * share_of
    c = (st["compute_cycles"][i] - st["overhead_cycles"][i]) * share_of
    r[0] += st["first_cycles"][i]
    d[0] += st["setup_cycles"][i]
    c[0] += st["overhead_cycles"][i]
    return r, d, c


def layer_cost(rows: int, cols: int, density, format_name: str, spec: HardwareSpec, batch: int | None = None,
               first: bool = False) -> dict[str, np.ndarray]:
    """:func:`layer_stages` plus ``cycles``: the layer alone through the pipeline (an upper bound on its share of a
    chained model, where the next layer's reads overlap this one's tail)."""
    st = layer_stages(rows, cols, density, format_name, spec, batch, first)
    overlap = spec.weights.staging == "dma"
    ref = _refresh(spec)
    device = np.array([float(_pipeline(*_tile_arrays(st, i, ref), overlap)[-1]) for i in range(st["bytes"].size)])
    st["cycles"] = np.maximum(device, st["host_cycles"])
    return st


def model_cost(layers: list[tuple[int, int, float, str]], spec: HardwareSpec, batch: int | None = None) -> dict:
    """Expected cycles of a whole inference step: layers ``(rows, cols, density, format)`` chained through one
    pipeline, as the cycle-level simulator runs them.  Returns per-layer ``cycles`` and ``bytes`` and totals."""
    parts, stages = [], []
    for i, (rows, cols, density, fname) in enumerate(layers):
        st = layer_stages(rows, cols, density, fname, spec, batch, first=i == 0)
        stages.append(st)
        parts.append(_tile_arrays(st, 0, _refresh(spec)))
    if not parts:
        return {"cycles": np.zeros(0), "bytes": np.zeros(0), "total_cycles": 0.0, "total_bytes": 0.0}
    r, d, c = (np.concatenate([p[k] for p in parts]) for k in range(3))
    done = _pipeline(r, d, c, spec.weights.staging == "dma")
    ends = done[np.cumsum([p[0].size for p in parts]) - 1]
    host = np.array([st["host_cycles"][0] for st in stages])
    cycles = np.maximum(np.diff(np.concatenate([[0.0], ends])), host)
    nbytes = np.array([st["bytes"][0] for st in stages])
    return {"cycles": cycles, "bytes": nbytes, "total_cycles": float(cycles.sum()), "total_bytes": float(nbytes.sum())}
