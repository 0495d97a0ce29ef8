"""The cycle-level DRAM model against DRAMsim3's figures for 1 MiB on DDR4-3200 (../shared/reference)."""
import csv
from pathlib import Path

import numpy as np
import pytest
import yaml

from simulators.memory.dram import simulate_dram
from simulators.spec import DramSpec

from ..conftest import REFERENCE

DATA = Path(__file__).resolve().parents[1] / "data"


def _reference():
    with open(REFERENCE / "dramsim3_ddr4_3200_1MiB.csv") as f:
        return {r["pattern"]: r for r in csv.DictReader(line for line in f if not line.startswith("#"))}


def _patterns(n=16384, ncol=128):
    def addr(col, bg, ba, ra, row):  # rochrababgco, 64 B bursts
        return ((((row * 2 + ra) * 4 + ba) * 4 + bg) * ncol + col) * 64

    k = np.arange(n) % 8
    idx = np.arange(n) // 8
    return {
        "seq": np.arange(n) * 64,
        "bank8_hit": addr(idx % ncol, k % 4, k // 4, 0, idx // ncol),
        "bank8_miss": addr(0, k % 4, k // 4, 0, idx),
        "random": np.random.default_rng(0).integers(0, 16 * 2**30 // 64, n) * 64,
    }


@pytest.mark.parametrize("pattern", ["seq", "bank8_hit", "bank8_miss", "random"])
def test_matches_dramsim3_within_10_percent(pattern):
    ref = _reference()[pattern]
    spec = DramSpec.model_validate(yaml.safe_load((DATA / "ddr4_3200_dramsim3.yaml").read_text()))
    result = simulate_dram(_patterns()[pattern], spec)
    cycles = int(result.done_cycles.max())
    assert abs(cycles / float(ref["cycles"]) - 1) < 0.10, (cycles, ref["cycles"])
    assert abs(result.row_hit_rate - float(ref["row_hit_rate"])) < 0.05
