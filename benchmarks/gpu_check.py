"""Does gpu.yaml predict real H100 matrix-vector speed-ups?  Predicted (cycle-level simulator) vs measured
(``../shared/reference/h100_fp16_matvec.csv``: fp16, weights rotated past L2, dense / 2:4 / CSR).

    python benchmarks/gpu_check.py [--measured FILE]

Prints one row per measurement and writes ``benchmarks/results/gpu_check.csv``.  A GPU is never needed: with a
device, measure with ``benchmarks/gpu_measure.py`` and pass its CSV as ``--measured``.
"""
import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from simulators.engine import simulate
from simulators.spec import load_spec
from simulators.workload import random_weights

ROOT = Path(__file__).resolve().parents[1]
FORMAT = {"dense": "dense", "csr": "csr", "2:4": "nm"}


def predicted_seconds(spec, rows, cols, fmt_name, sparsity, batch, rng):
    fmt = spec.format(fmt_name)
    w = random_weights(rows, cols, 1.0 - sparsity, fmt, spec.weights.dtype, rng)
    enc = fmt.encode(w, spec.weights.dtype, spec.weights.alignment_bytes)
    return simulate(["layer"], [enc], spec, batch=batch).total_s


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--measured", default=str(ROOT.parent / "shared" / "reference" / "h100_fp16_matvec.csv"))
    ap.add_argument("--spec", default=str(ROOT / "hw_specs" / "gpu.yaml"))
    args = ap.parse_args(argv)
    spec = load_spec(args.spec)
    meas = pd.read_csv(args.measured, comment="#")
    rng = np.random.default_rng(0)
    rows = []
    for (o, i, b), grp in meas.groupby(["out", "in", "batch"], sort=False):
        t_dense = predicted_seconds(spec, o, i, "dense", 0.0, b, rng)
        for r in grp.itertuples():
            t = predicted_seconds(spec, o, i, FORMAT[r.format], r.sparsity, b, rng)
            pred = t_dense / t
            rows.append({"out": o, "in": i, "batch": b, "format": r.format, "sparsity": r.sparsity,
                         "measured_us": r.median_us, "predicted_us": t * 1e6, "measured_speedup": r.speedup_vs_dense,
                         "predicted_speedup": pred, "error": pred / r.speedup_vs_dense - 1})
    df = pd.DataFrame(rows)
    with pd.option_context("display.width", 160, "display.float_format", "{:.3f}".format):
        print(df.to_string(index=False))
    sparse = df[df.format != "dense"]
    within = (sparse.error.abs() <= 0.20).mean()
    print(f"\nspeed-up within 20% of measured: {within:.0%} of {len(sparse)} sparse rows; "
          f"median |error| {sparse.error.abs().median():.1%}; worst {sparse.error.abs().max():.1%}")
    print(f"direction right (slower vs faster than dense): "
          f"{((sparse.predicted_speedup > 1) == (sparse.measured_speedup > 1)).mean():.0%}")
    out = ROOT / "benchmarks" / "results" / "gpu_check.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
