"""Measure fp16 matrix-vector calls on a GPU the way ``../shared/reference/h100_fp16_matvec.csv`` was measured:
dense, torch's 2:4 semi-structured path and CSR (cuSPARSE) at several sparsities and batch sizes, CUDA events,
the median of ``--repeats`` x ``--calls`` back-to-back calls, weights rotated past the L2 cache.

    python benchmarks/gpu_measure.py --out benchmarks/results/gpu_measured.csv
    python benchmarks/gpu_check.py --measured benchmarks/results/gpu_measured.csv

Each row also gives ``spread``: (slowest - fastest) / median of the repeats, the measurement's own noise.
``--device cpu`` runs the same script on the CPU (2:4 skipped) to check it, not to measure a GPU.
"""
import argparse
import statistics
import time
from pathlib import Path

import warnings

import torch

warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")

SHAPES = [(4096, 1024), (8192, 2048), (16384, 4096)]
SPARSITIES = [0.5, 0.75, 0.9, 0.95]
BATCHES = [1, 8, 16]


def two_four_mask(w: torch.Tensor) -> torch.Tensor:
    """Keep the 2 largest-magnitude weights of every 4 consecutive in a row."""
    groups = w.abs().reshape(w.shape[0], -1, 4)
    keep = groups.topk(2, dim=-1).indices
    mask = torch.zeros_like(groups, dtype=torch.bool).scatter_(-1, keep, True)
    return mask.reshape(w.shape)


def random_mask(w: torch.Tensor, sparsity: float, gen: torch.Generator) -> torch.Tensor:
    return torch.rand(w.shape, generator=gen, device="cpu").to(w.device) >= sparsity


def time_calls(fn, operands: list, calls: int, repeats: int, device: str) -> list[float]:
    """Seconds per call of ``fn(operand)`` cycling over ``operands``, one figure per repeat."""
    for op in operands[:2]:
        fn(op)  # warm-up: library handles, kernel selection
    out = []
    for _ in range(repeats):
        if device == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize()
            start.record()
            for i in range(calls):
                fn(operands[i % len(operands)])
            end.record()
            torch.cuda.synchronize()
            out.append(start.elapsed_time(end) * 1e-3 / calls)
        else:
            t0 = time.perf_counter()
            for i in range(calls):
                fn(operands[i % len(operands)])
            out.append((time.perf_counter() - t0) / calls)
    return out


def copies_past_cache(nbytes: int, cache_bytes: int) -> int:
    """How many copies of a weight make a rotation at least twice the last-level cache."""
    return max(2, -(-2 * cache_bytes // max(1, nbytes)))


def measure(shapes, sparsities, batches, calls, repeats, device, cache_bytes, log) -> list[dict]:
    gen = torch.Generator().manual_seed(0)
    dtype = torch.float16 if device == "cuda" else torch.float32
    rows = []
    for out_f, in_f in shapes:
        base = torch.randn(out_f, in_f, generator=gen).to(device, dtype)
        variants = {("dense", 0.0): base}
        if device == "cuda":
            variants[("2:4", 0.5)] = base * two_four_mask(base)
        for s in sparsities:
            variants[("csr", s)] = base * random_mask(base, s, gen)
        for (fmt, s), w in variants.items():
            n_copies = copies_past_cache(w.numel() * w.element_size(), cache_bytes)
            if fmt == "dense":
                weights = [w.clone() for _ in range(n_copies)]
            elif fmt == "csr":
                weights = [w.to_sparse_csr() for _ in range(n_copies)]
            else:
                from torch.sparse import to_sparse_semi_structured

                weights = [to_sparse_semi_structured(w.clone()) for _ in range(n_copies)]
            for b in batches:
                x = torch.randn(in_f, b, generator=gen).to(device, dtype)
                ts = time_calls(lambda wt: torch.mm(wt, x), weights, calls, repeats, device)
                med = statistics.median(ts)
                rows.append({"out": out_f, "in": in_f, "batch": b, "format": fmt, "sparsity": s,
                             "median_us": round(med * 1e6, 2), "spread": round((max(ts) - min(ts)) / med, 4)})
                log(f"{out_f}x{in_f} b{b} {fmt} {s}: {med * 1e6:.2f} us (spread {rows[-1]['spread']:.1%})")
            del weights
    dense = {(r["out"], r["in"], r["batch"]): r["median_us"] for r in rows if r["format"] == "dense"}
    for r in rows:
        r["speedup_vs_dense"] = round(dense[(r["out"], r["in"], r["batch"])] / r["median_us"], 3)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="benchmarks/results/gpu_measured.csv")
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--shapes", default=",".join(f"{o}x{i}" for o, i in SHAPES), help="e.g. 4096x1024,8192x2048")
    ap.add_argument("--cache-mb", type=float, default=50.0, help="last-level cache to rotate past (H100: 50 MB L2)")
    args = ap.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: run on a GPU machine, or --device cpu to check the script")
    shapes = [tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")]
    rows = measure(shapes, SPARSITIES, BATCHES, args.calls, args.repeats, args.device, int(args.cache_mb * 2**20),
                   lambda m: print(m, flush=True))
    name = torch.cuda.get_device_name() if args.device == "cuda" else "cpu"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = (f"# measured on {name}, torch {torch.__version__}, median of {args.repeats}x{args.calls} calls, "
              f"weights rotated past {args.cache_mb:g} MB\n")
    cols = ["out", "in", "batch", "format", "sparsity", "median_us", "spread", "speedup_vs_dense"]
    out.write_text(header + ",".join(cols) + "\n" + "".join(",".join(str(r[c]) for c in cols) + "\n" for r in rows))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
