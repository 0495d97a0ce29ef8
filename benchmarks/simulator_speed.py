"""Cycle-level simulator throughput (weights simulated per second) on a >= 50 M-weight model, per format, and the
analytic model's agreement, for one spec.  Usage: python benchmarks/simulator_speed.py [hw_specs/dsp.yaml]"""
import sys
import time

import numpy as np

from simulators.analytic import model_cost
from simulators.engine import simulate
from simulators.spec import load_spec
from simulators.workload import builtin_lstm_asr, random_weights


def main(path="hw_specs/dsp.yaml", density=0.3):
    spec = load_spec(path)
    shapes = builtin_lstm_asr(layers=6, units=1024)  # 6 LSTM layers + output: 52.4 M weights
    n_weights = sum(s.weights for s in shapes)
    print(f"spec {spec.name}: {n_weights / 1e6:.1f} M weights, density {density}")
    print(f"{'format':8} {'encode_s':>9} {'simulate_s':>10} {'weights/s':>11} {'cycles':>12} {'analytic':>9}")
    rng = np.random.default_rng(0)
    simulate([s.name for s in shapes[:1]], [spec.format("dense").encode(np.ones((8, 8)), spec.weights.dtype)], spec)  # JIT warm-up
    for fname in spec.formats:
        fmt = spec.format(fname)
        t0 = time.perf_counter()
        enc = [fmt.encode(random_weights(s.rows, s.cols, density, fmt, spec.weights.dtype, rng), spec.weights.dtype,
                          spec.weights.alignment_bytes) for s in shapes]
        t1 = time.perf_counter()
        res = simulate([s.name for s in shapes], enc, spec)
        t2 = time.perf_counter()
        an = model_cost([(s.rows, s.cols, e.row_nnz.sum() / s.weights, fname) for s, e in zip(shapes, enc)], spec)
        print(f"{fname:8} {t1 - t0:9.2f} {t2 - t1:10.2f} {n_weights / (t2 - t1):11.3g} {res.total_cycles:12.0f} "
              f"{an['total_cycles'] / res.total_cycles - 1:+9.2%}")


if __name__ == "__main__":
    main(*sys.argv[1:])
