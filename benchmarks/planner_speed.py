"""Planner speed: the cvxpy solve for a synthetic 1,000-layer model (LP with formats fixed, MILP with format
choice), and the compressed-sensing curve time (all grid densities) for a 25 M-weight model.

    python benchmarks/planner_speed.py [--skip-curves]
"""
import argparse
import time

import numpy as np
import torch

from planner.allocate import Budgets, Option, allocate
from planner.curves import DEFAULT_GRID, compute_curve
from planner.layers import Layer
from planner.structure import Unstructured


def synthetic_options(n_layers, with_formats, rng):
    opts = []
    for l in range(n_layers):
        s = rng.uniform(0.5, 2.0)
        dens = np.array(DEFAULT_GRID)
        err = np.exp(-6 * dens) * rng.uniform(0.5, 1.5)
        from planner.allocate import convex_pieces
        pieces = convex_pieces(dens, err - err.min())
        opts.append(Option(l, "bitmask", "u", dens.min(), 1.0, pieces, {"hw": [(800 * s, 300 * s)]}, {"hw": [(900 * s, 120 * s)]}))
        if with_formats:
            opts.append(Option(l, "dense", "d", 1, 1, [(0, 0)], {"hw": [(0, 1000 * s)]}, {"hw": [(0, 1000 * s)]}))
            opts.append(Option(l, "csr", "u", dens.min(), 1.0, pieces, {"hw": [(2500 * s, 100 * s)]}, {"hw": [(3000 * s, 8 * s)]}))
    return opts


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-curves", action="store_true")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    for with_formats in (False, True):
        opts = synthetic_options(1000, with_formats, rng)
        t0 = time.perf_counter()
        a = allocate(opts, 1000, Budgets({"hw": 6e5}, {"hw": 6e5}))
        print(f"1000 layers, {'format choice (MILP)' if with_formats else 'formats fixed (LP)  '}: "
              f"{time.perf_counter() - t0:.2f} s  [{a.program}, {a.status}] (target < {5 if with_formats else 1} s)")
    if args.skip_curves:
        return
    torch.manual_seed(0)
    layers = []
    for i in range(6):  # 6 x 4096 x 1024 = 25.2 M weights
        X = torch.randn(4096, 1024) @ (torch.eye(1024) + 0.05 * torch.randn(1024, 1024))
        layers.append(Layer(f"l{i}", torch.randn(4096, 1024) / 32, (X.T @ X / 4096).double(), 4096))
    t0 = time.perf_counter()
    for l in layers:
        compute_curve(l, Unstructured())
    el = time.perf_counter() - t0
    print(f"CS curves, {len(DEFAULT_GRID)} densities x 25.2 M weights: {el:.0f} s (target < 300 s), "
          f"torch threads {torch.get_num_threads()}")


if __name__ == "__main__":
    main()
