"""Analytic cost model vs the cycle-level simulator: every shipped spec x format x density, random masks, on the
built-in 44 M-weight LSTM layer list, device time (without the host issue floor, which both take as a max on top).  Prints the full table and writes benchmarks/results/analytic_agreement.csv.

    python benchmarks/analytic_agreement.py
"""
from pathlib import Path

import numpy as np
import pandas as pd

from simulators.analytic import model_cost
from simulators.engine import simulate
from simulators.spec import load_spec
from simulators.workload import builtin_lstm_asr, random_weights

ROOT = Path(__file__).resolve().parents[1]


def main():
    shapes = builtin_lstm_asr()
    rows = []
    rng = np.random.default_rng(0)
    for path in sorted((ROOT / "hw_specs").glob("*.yaml")):
        spec = load_spec(path).without_host()  # the device pipeline (host issue is a max on top of it)
        for fname in spec.formats:
            fmt = spec.format(fname)
            for density in ((1.0,) if fname == "dense" else (0.5, 0.3, 0.1)):
                enc = [fmt.encode(random_weights(s.rows, s.cols, density, fmt, spec.weights.dtype, rng),
                                  spec.weights.dtype, spec.weights.alignment_bytes) for s in shapes]
                sim = simulate([s.name for s in shapes], enc, spec)
                an = model_cost([(s.rows, s.cols, e.row_nnz.sum() / s.weights, fname) for s, e in zip(shapes, enc)], spec)
                rows.append({"spec": spec.name, "format": fname, "density": density, "sim_cycles": sim.total_cycles,
                             "analytic_cycles": an["total_cycles"], "cycles_err": an["total_cycles"] / sim.total_cycles - 1,
                             "sim_bytes": sim.total_bytes, "bytes_err": an["total_bytes"] / sim.total_bytes - 1})
                print(f"{spec.name:4} {fname:8} d={density:.1f} cycles {sim.total_cycles:14.0f} analytic "
                      f"{rows[-1]['cycles_err']:+.2%} bytes {rows[-1]['bytes_err']:+.3%}", flush=True)
    df = pd.DataFrame(rows)
    out = ROOT / "benchmarks" / "results" / "analytic_agreement.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False)
    print(f"worst |cycles error| {df.cycles_err.abs().max():.2%}, worst |bytes error| {df.bytes_err.abs().max():.3%}; "
          f"within 3%: {(df.cycles_err.abs() <= 0.03).mean():.0%} of {len(df)}; wrote {out}")


if __name__ == "__main__":
    main()
