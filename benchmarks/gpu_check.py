"""Does gpu.yaml predict real H100 matrix-vector times and speed-ups?  Predicted (cycle-level simulator, random
weights at each density) vs measured (``../shared/reference/h100_fp16_matvec.csv``: fp16, weights rotated past L2,
dense / 2:4 / CSR at batch 1, 8, 16), then the same fit with each matrix shape held out (analytic model).

    python benchmarks/gpu_check.py [--measured FILE] [--spec FILE]

With a GPU, ``benchmarks/gpu_measure.py`` writes a measurement CSV of the same form to pass as ``--measured``.
Writes ``benchmarks/results/gpu_check.csv`` and ``gpu_check.txt``.
"""
import argparse
import sys
from pathlib import Path

import pandas as pd

from simulators.calibrate import cross_validate, parse_fit_fields, report_table, summary, summary_line
from simulators.measurements import predict_seconds, read_measurements, with_speedups
from simulators.spec import parse_spec, read_spec_data

ROOT = Path(__file__).resolve().parents[1]


# the gpu.yaml fields fitted to the reference (its header comment gives the command)
FITTED = ["compute.host_issue_cycles", "formats.dense.setup_cycles", "formats.csr.host_setup_cycles",
          "formats.csr.setup_cycles", "formats.csr.decode_entries_per_cycle",
          "formats.csr.batched_decode_entries_per_cycle", "formats.csr.decode_rows_per_cycle",
          "formats.nm.host_setup_cycles", "formats.nm.decode_bytes_per_cycle"]


def identical_work_spread(df: pd.DataFrame) -> pd.Series:
    """Relative difference of measured times between batch 8 and 16 (one 16-column tile: the same work for every
    kernel here), per (shape, format, density): how reproducible the reference itself is."""
    b = df[df.batch.isin([8, 16])].pivot_table(index=["rows", "cols", "format", "density"], columns="batch",
                                               values="seconds")
    return (b[16] / b[8] - 1).abs()


def main(argv=None):
    ap = argparse.ArgumentParser()
    shared = ROOT.parent / "shared" / "reference" / "h100_fp16_matvec.csv"
    copy = ROOT / "tests" / "data" / "reference" / "h100_fp16_matvec.csv"
    ap.add_argument("--measured", default=str(shared if shared.exists() else copy))
    ap.add_argument("--spec", default=str(ROOT / "hw_specs" / "gpu.yaml"))
    args = ap.parse_args(argv)
    _, data = read_spec_data(args.spec)
    spec = parse_spec(data, args.spec)
    measured = read_measurements(args.measured)
    df = with_speedups(measured, predict_seconds(spec, measured, "simulate"))
    lines = [report_table(df).to_string(index=False, float_format="{:.3f}".format), ""]
    lines.append(summary_line("cycle-level simulator, gpu.yaml", summary(df)))
    cv = cross_validate(data, args.spec, measured, parse_fit_fields(FITTED, data))
    lines.append(summary_line(f"analytic, the {len(FITTED)} fitted fields refitted with each shape held out",
                              summary(cv)))
    spread = identical_work_spread(measured)
    lines.append(f"the reference's own spread between batch 8 and 16 (identical work): median {spread.median():.1%}, "
                 f"max {spread.max():.1%} over {len(spread)} pairs; over 20% in {int((spread > 0.2).sum())}")
    text = "\n".join(lines)
    print(text)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / "gpu_check.csv", index=False)
    (out / "gpu_check.txt").write_text(text + "\n", encoding="utf-8")
    print(f"wrote {out / 'gpu_check.csv'}", file=sys.stderr)


if __name__ == "__main__":
    main()
