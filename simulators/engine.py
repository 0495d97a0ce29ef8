"""Cycle-level simulation of one inference step: stream every layer's encoded bytes, decode, multiply-accumulate.

Pipeline per tile of whole rows (``weights.tile_bytes``):
1. read: the tile's bursts go through the cycle-level memory model (all layers as one request stream, laid out
   back to back in the weight memory); a tile has arrived when its last burst completes.
2. decode: the format's decoder consumes the tile at its byte and entry rates; the first tile of a layer pays the
   format's set-up cycles.
3. compute: MACs for the tile (stored entries where the hardware skips zero weights, all weights otherwise).
With DMA staging the three stages overlap through double buffering (a tile's read waits until the tile two back has
been decoded); with direct reads they run one after the other.  A layer whose calls a host issues
(``compute.host_issue_cycles`` plus the format's ``host_setup_cycles``) costs at least that issue time: calls issued
back to back overlap the host's issue with the device's work, so each layer costs max(issue, device time).
All times are core cycles.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd

from .formats import Encoded, align_up
from .memory import read_completion_s
from .spec import HardwareSpec


@dataclass(frozen=True)
class Tiles:
    """Per-tile quantities of the whole model, tiles in stream order."""

    layer: np.ndarray  # layer index of each tile
    bytes: np.ndarray  # encoded bytes
    entries: np.ndarray  # stored values the decoder emits
    rows: np.ndarray  # matrix rows covered
    request_tile: np.ndarray  # tile of each burst request
    request_addr: np.ndarray  # byte address of each burst request


def place_layers(encoded: list[Encoded], burst_bytes: int) -> np.ndarray:
    """Base byte address of each layer: back to back, each starting on a burst boundary."""
    sizes = np.array([align_up(max(e.nbytes, 1), burst_bytes) for e in encoded], np.int64)
    return np.concatenate([[0], np.cumsum(sizes)[:-1]])


def build_tiles(encoded: list[Encoded], tile_bytes: int, burst_bytes: int) -> Tiles:
    """Cut each layer into tiles of whole rows and list the burst requests each tile needs, in order."""
    bases = place_layers(encoded, burst_bytes)
    t_layer, t_bytes, t_entries, t_rows, r_tile, r_addr = [], [], [], [], [], []
    next_tile = 0
    for li, (enc, base) in enumerate(zip(encoded, bases)):
        rows = enc.shape[0]
        row_bytes = sum(np.diff(s.row_offsets) for s in enc.sections)
        start = np.concatenate([[0], np.cumsum(row_bytes)[:-1]])
        _, tile_of_row = np.unique(start // max(1, tile_bytes), return_inverse=True)
        n_tiles = int(tile_of_row.max()) + 1 if rows else 0
        first_row = np.searchsorted(tile_of_row, np.arange(n_tiles))
        t_layer.append(np.full(n_tiles, li))
        t_bytes.append(np.bincount(tile_of_row, weights=row_bytes, minlength=n_tiles))
        t_entries.append(np.bincount(tile_of_row, weights=enc.row_entries, minlength=n_tiles))
        t_rows.append(np.bincount(tile_of_row, minlength=n_tiles))
        starts = enc.section_starts()
        layer_tiles, layer_addr = [], []
        for s in enc.sections:
            lo = base + starts[s.name]
            hi = lo + s.data.size
            if hi <= lo:
                continue
            bursts = np.arange(lo // burst_bytes, -(-hi // burst_bytes), dtype=np.int64)
            tile_starts = lo + s.row_offsets[first_row]
            owner = np.searchsorted(tile_starts, np.maximum(bursts * burst_bytes, lo), side="right") - 1
            layer_tiles.append(np.clip(owner, 0, n_tiles - 1) + next_tile)
            layer_addr.append(bursts * burst_bytes)
        if layer_tiles:
            tiles_cat = np.concatenate(layer_tiles)
            addr_cat = np.concatenate(layer_addr)
            order = np.argsort(tiles_cat, kind="stable")
            tiles_cat, addr_cat = tiles_cat[order], addr_cat[order]
            _, first = np.unique(addr_cat, return_index=True)  # a burst shared by two sections is read once
            keep = np.sort(first)
            r_tile.append(tiles_cat[keep])
            r_addr.append(addr_cat[keep])
        next_tile += n_tiles
    cat = lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)  # noqa: E731
    return Tiles(cat(t_layer, np.int64), cat(t_bytes, np.float64), cat(t_entries, np.float64), cat(t_rows, np.float64),
                 cat(r_tile, np.int64), cat(r_addr, np.int64))


def decode_cycles(bytes_: np.ndarray, entries: np.ndarray, rows: np.ndarray, fmt_cost, batch: int) -> np.ndarray:
    """Decoder cycles for tiles of ``bytes_`` stored bytes, ``entries`` stored values and ``rows`` matrix rows at
    ``batch`` input columns: the slower of the byte and entry rates, plus the per-row cost.  Above batch 1 a format
    with a batched rate does its entry and row work once per tile of ``batch_tile`` columns."""
    out = np.zeros_like(np.asarray(bytes_, np.float64))
    if fmt_cost.decode_bytes_per_cycle:
        out = np.maximum(out, bytes_ / fmt_cost.decode_bytes_per_cycle)
    rate = fmt_cost.decode_entries_per_cycle
    passes = 1
    if batch > 1 and fmt_cost.batched_decode_entries_per_cycle:
        rate = fmt_cost.batched_decode_entries_per_cycle
        passes = -(-batch // fmt_cost.batch_tile)
    if rate:
        out = np.maximum(out, np.asarray(entries, np.float64) * passes / rate)
    if fmt_cost.decode_rows_per_cycle:
        out = out + np.asarray(rows, np.float64) * passes / fmt_cost.decode_rows_per_cycle
    return out


def mac_count(rows: np.ndarray, cols: np.ndarray, entries: np.ndarray, dense: np.ndarray, spec: HardwareSpec,
              batch: int) -> np.ndarray:
    """MACs per tile: stored entries when the hardware skips zeros and the layout is compressed, else rows x cols."""
    skip = spec.compute.skips_zero_weights & ~dense
    return np.where(skip, entries, rows * cols) * batch


@numba.njit(cache=True)
def _pipeline(read, dec, mac, overlap):
    n = read.size
    read_done = np.zeros(n)
    dec_done = np.zeros(n)
    mac_done = np.zeros(n)
    for t in range(n):
        prev_read = read_done[t - 1] if t > 0 else 0.0
        prev_dec = dec_done[t - 1] if t > 0 else 0.0
        prev_mac = mac_done[t - 1] if t > 0 else 0.0
        if overlap:
            buffer_free = dec_done[t - 2] if t > 1 else 0.0  # the decoder has drained that buffer
            read_done[t] = max(prev_read, buffer_free) + read[t]
            dec_done[t] = max(prev_dec, read_done[t]) + dec[t]
            mac_done[t] = max(prev_mac, dec_done[t]) + mac[t]
        else:
            read_done[t] = prev_mac + read[t]
            dec_done[t] = read_done[t] + dec[t]
            mac_done[t] = dec_done[t] + mac[t]
    return mac_done


@dataclass
class SimResult:
    """Per-layer cycle counts (core cycles) and bytes; ``table`` is one row per layer."""

    table: pd.DataFrame
    clock_hz: float
    trace: tuple[np.ndarray, np.ndarray] | None = None  # (address, issue cycle in memory clocks)

    @property
    def total_cycles(self) -> float:
        return float(self.table["cycles"].sum())

    @property
    def total_s(self) -> float:
        return self.total_cycles / self.clock_hz

    @property
    def total_bytes(self) -> int:
        return int(self.table["bytes"].sum())


def simulate(names: list[str], encoded: list[Encoded], spec: HardwareSpec, batch: int | None = None,
             keep_trace: bool = False) -> SimResult:
    """Cycle-level simulation of one inference step over the layers ``encoded`` (same order as ``names``)."""
    batch = batch or spec.weights.batch
    mem = spec.weight_memory
    clock = spec.clock_hz
    tiles = build_tiles(encoded, int(spec.weights.tile_bytes), mem.burst_bytes)
    n_tiles = tiles.layer.size
    done_s = read_completion_s(tiles.request_addr, mem)
    arrival = np.zeros(n_tiles)
    if done_s.size:
        np.maximum.at(arrival, tiles.request_tile, done_s * clock)
    arrival = np.maximum.accumulate(arrival)
    read = np.diff(np.concatenate([[0.0], arrival]))

    fmt_names = [e.format_name for e in encoded]
    cols = np.array([e.shape[1] for e in encoded], np.float64)[tiles.layer]
    dense = np.array([f == "dense" for f in fmt_names])[tiles.layer]
    first = np.searchsorted(tiles.layer, np.arange(len(encoded)))  # tiles are in layer order
    bounds = np.append(first, n_tiles)
    dec = np.zeros(n_tiles)
    for li, fname in enumerate(fmt_names):
        sel = slice(bounds[li], bounds[li + 1])
        dec[sel] = decode_cycles(tiles.bytes[sel], tiles.entries[sel], tiles.rows[sel], spec.formats[fname], batch)
    mac = mac_count(tiles.rows, cols, tiles.entries, dense, spec, batch) / spec.compute.macs_per_cycle[spec.weights.dtype]
    dec[first] += np.array([spec.formats[f].setup_cycles for f in fmt_names])
    mac[first] += spec.compute.layer_overhead_cycles
    done = _pipeline(read, dec, mac, spec.weights.staging == "dma")

    last = np.searchsorted(tiles.layer, np.arange(len(encoded)), side="right") - 1
    ends = done[last]
    per_layer = lambda x: np.bincount(tiles.layer, weights=x, minlength=len(encoded))  # noqa: E731
    bursts = np.bincount(tiles.request_tile, minlength=n_tiles)
    compute = per_layer(mac)
    device = np.diff(np.concatenate([[0.0], ends]))
    host = np.array([spec.host_cycles(f) for f in fmt_names])
    cycles = np.maximum(device, host)
    table = pd.DataFrame({
        "layer": names,
        "rows": [e.shape[0] for e in encoded],
        "cols": [e.shape[1] for e in encoded],
        "format": fmt_names,
        "density": [float(e.row_nnz.sum()) / max(1, e.shape[0] * e.shape[1]) for e in encoded],
        "bytes": [e.nbytes for e in encoded],
        "bytes_moved": per_layer(bursts * float(mem.burst_bytes)).astype(np.int64),
        "read_cycles": per_layer(read),
        "decode_cycles": per_layer(dec),
        "compute_cycles": compute,
        "host_cycles": host,
        "stall_cycles": np.maximum(cycles - compute, 0.0),
        "cycles": cycles,
    })
    trace = None
    if keep_trace:
        trace = (tiles.request_addr, np.arange(tiles.request_addr.size))
    return SimResult(table, clock, trace)
