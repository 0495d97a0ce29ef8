"""Cycle-level DRAM channel model: per-bank row buffers, JEDEC timing constraints, an FR-FCFS controller.

One command per memory clock.  Each cycle the controller issues, in priority order: a READ to an open row (oldest
such request first), else an ACTIVATE or PRECHARGE for the oldest request that needs one (a row is only closed when
no queued request still hits it).  Constraints modelled: tRCD, tRP, tRAS, tRTP, tCCD_S/L (bank groups), tRRD_S/L,
tFAW (per rank), refresh every tREFI for tRFC (rank-level, staggered), CAS latency and burst time on the data bus.
Address mapping (from MSB): row, rank, bank, bank group, column (DRAMsim3's ``rochrababgco``).

The loop is compiled with numba; it skips idle cycles, so its cost grows with requests, not with cycles.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from ..spec import DramSpec


@dataclass(frozen=True)
class DramResult:
    """Completion cycle (memory clock) of each request, plus row-buffer statistics."""

    done_cycles: np.ndarray
    reads: int
    activates: int

    @property
    def row_hit_rate(self) -> float:
        """Fraction of reads that found their row open (each ACTIVATE serves one missing read)."""
        return max(0.0, 1.0 - self.activates / self.reads) if self.reads else 0.0


def decompose(addresses: np.ndarray, spec: DramSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Map byte addresses to (global bank, bank group id, rank, row) with the rochrababgco mapping."""
    a = np.asarray(addresses, np.int64) // spec.burst_bytes
    ncol = max(1, int(spec.row_bytes) // spec.burst_bytes)
    a = a // ncol
    bg = a % spec.bank_groups
    a = a // spec.bank_groups
    bank = a % spec.banks_per_group
    a = a // spec.banks_per_group
    rank = a % spec.ranks
    row = a // spec.ranks
    bg_global = rank * spec.bank_groups + bg
    gbank = bg_global * spec.banks_per_group + bank
    return gbank, bg_global, rank, row


@numba.njit(cache=True)
def _simulate(bank, bg, rank, row, arrival, n_banks, n_bg, n_ranks, Q,
              tCL, tRCD, tRP, tRAS, tCCD_S, tCCD_L, tRRD_S, tRRD_L, tFAW, tRTP, tREFI, tRFC, burst_cycles):
    n = bank.size
    done = np.empty(n, np.int64)
    open_row = np.full(n_banks, -1, np.int64)
    act_ready = np.zeros(n_banks, np.int64)
    rd_ready = np.zeros(n_banks, np.int64)
    pre_ready = np.zeros(n_banks, np.int64)
    hits_pending = np.zeros(n_banks, np.int64)
    last_rd_bg = np.full(n_bg, -(1 << 40), np.int64)
    last_act_bg = np.full(n_bg, -(1 << 40), np.int64)
    faw = np.full((n_ranks, 4), -(1 << 40), np.int64)
    faw_pos = np.zeros(n_ranks, np.int64)
    rank_busy = np.zeros(n_ranks, np.int64)
    next_ref = np.empty(n_ranks, np.int64)
    for r in range(n_ranks):
        next_ref[r] = tREFI + (r * tREFI) // n_ranks if tREFI > 0 else (1 << 62)
    last_rd_any = -(1 << 40)
    last_act_any = -(1 << 40)
    q = np.empty(Q, np.int64)
    qn = 0
    nxt = 0
    completed = 0
    hits = 0
    misses = 0
    t = 0
    big = 1 << 62
    while completed < n:
        # refresh
        for r in range(n_ranks):
            if t >= next_ref[r]:
                extra = 0
                for b in range(n_banks):
                    if (b // (n_banks // n_ranks)) == r and open_row[b] >= 0:
                        extra = tRP
                        open_row[b] = -1
                        hits_pending[b] = 0
                rank_busy[r] = t + extra + tRFC
                next_ref[r] += tREFI
        # enqueue one request per cycle
        if nxt < n and qn < Q and arrival[nxt] <= t:
            q[qn] = nxt
            qn += 1
            if open_row[bank[nxt]] == row[nxt]:
                hits_pending[bank[nxt]] += 1
            nxt += 1
        issued = False
        wake = big
        # pass 1: oldest READ that hits an open row
        for k in range(qn):
            i = q[k]
            b = bank[i]
            if open_row[b] != row[i]:
                continue
            ready = max(rd_ready[b], last_rd_bg[bg[i]] + tCCD_L, last_rd_any + tCCD_S, rank_busy[rank[i]])
            if ready <= t:
                done[i] = t + tCL + burst_cycles
                last_rd_bg[bg[i]] = t
                last_rd_any = t
                pre_ready[b] = max(pre_ready[b], t + tRTP)
                hits_pending[b] -= 1
                hits += 1
                for m in range(k, qn - 1):
                    q[m] = q[m + 1]
                qn -= 1
                completed += 1
                issued = True
                break
            wake = min(wake, ready)
        if not issued:
            # pass 2: ACT or PRE for the oldest request that needs one
            for k in range(qn):
                i = q[k]
                b = bank[i]
                if open_row[b] == row[i]:
                    continue
                r = rank[i]
                if open_row[b] < 0:
                    ready = max(act_ready[b], last_act_bg[bg[i]] + tRRD_L, last_act_any + tRRD_S,
                                faw[r, faw_pos[r]] + tFAW, rank_busy[r])
                    if ready <= t:
                        open_row[b] = row[i]
                        rd_ready[b] = t + tRCD
                        pre_ready[b] = max(pre_ready[b], t + tRAS)
                        last_act_bg[bg[i]] = t
                        last_act_any = t
                        faw[r, faw_pos[r]] = t
                        faw_pos[r] = (faw_pos[r] + 1) % 4
                        cnt = 0
                        for m in range(qn):
                            j = q[m]
                            if bank[j] == b and row[j] == row[i]:
                                cnt += 1
                        hits_pending[b] = cnt
                        misses += 1
                        issued = True
                        break
                    wake = min(wake, ready)
                elif hits_pending[b] == 0:
                    ready = max(pre_ready[b], rank_busy[r])
                    if ready <= t:
                        open_row[b] = -1
                        act_ready[b] = t + tRP
                        issued = True
                        break
                    wake = min(wake, ready)
        if issued:
            t += 1
            continue
        # nothing issued: jump to the next cycle at which something can change
        if nxt < n and qn < Q:
            wake = min(wake, max(arrival[nxt], t + 1))
        for r in range(n_ranks):
            wake = min(wake, next_ref[r])
        t = max(t + 1, wake)
    return done, hits, misses


def simulate_dram(addresses: np.ndarray, spec: DramSpec, arrival_cycles: np.ndarray | None = None) -> DramResult:
    """Read requests (one burst each, byte ``addresses``) through the channel; ``arrival_cycles`` default to one new
    request per memory clock.  Returns completion cycles in memory clocks."""
    addresses = np.asarray(addresses, np.int64)
    if addresses.size == 0:
        return DramResult(np.zeros(0, np.int64), 0, 0)
    if arrival_cycles is None:
        arrival_cycles = np.arange(addresses.size, dtype=np.int64)
    gbank, bg, rank, row = decompose(addresses, spec)
    tm = {k: int(round(v)) for k, v in spec.timings_cycles.items()}
    n_banks = spec.ranks * spec.bank_groups * spec.banks_per_group
    done, hits, misses = _simulate(
        gbank, bg, rank, row, np.asarray(arrival_cycles, np.int64), n_banks, spec.ranks * spec.bank_groups, spec.ranks,
        spec.queue_depth, tm["tCL"], tm["tRCD"], tm["tRP"], tm["tRAS"], tm["tCCD_S"], tm["tCCD_L"], tm["tRRD_S"],
        tm["tRRD_L"], tm["tFAW"], tm["tRTP"], tm["tREFI"], tm["tRFC"], int(np.ceil(spec.burst_length / spec.data_rate)),
    )
    return DramResult(done + int(round(spec.controller_latency_cycles)), int(hits), int(misses))
