"""Two questions on the built-in ASR model, no fine-tuning:

1. Which weights (selection): at equal density per layer (50/30/20/10%), compressed-sensing recovery (HTP + LS
   refit) vs magnitude, Wanda and SparseGPT: mean normalised layer output error, test WER/CER, time.
2. How much per layer (allocation): at the same simulated latency on dsp.yaml (loose / medium / tight budgets), the
   planner vs uniform, global magnitude, ERK, LAMP and OWL densities, all with the same CS selection: total output
   error and test WER/CER.

    python benchmarks/planner_quality.py        (needs cases/asr_lstm/build/corpus.npz for WER; see cases/asr_lstm)

Prints both tables and writes benchmarks/results/selection.csv and allocation.csv.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from planner.asr.data import evaluate, load_corpus
from planner.baselines import ALLOCATORS, SELECTORS
from planner.builtin import load_asr_lstm
from planner.cs import damped, htp, normalised_error
from planner.layers import calibrate, find_layers
from planner.plan import make_plan, simulate_weights
from planner.sensitivity import output_probe
from planner.structure import Unstructured
from simulators.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CORPUS = ROOT / "cases" / "asr_lstm" / "build" / "corpus.npz"


def with_weights(model, layers, new_weights):
    """A copy of ``model`` whose prunable matrices are ``new_weights`` (same order as ``layers``)."""
    import copy

    m = copy.deepcopy(model)
    params = dict(m.named_parameters())
    with torch.no_grad():
        for l, w in zip(layers, new_weights):
            params[l.name].copy_(torch.as_tensor(w).reshape(params[l.name].shape))
    return m


def wer_cer(model, test):
    return evaluate(model, test) if test is not None else (float("nan"), float("nan"))


def cs_select(W, H, nnz):
    return htp(W, H, nnz).weights


def selection_table(model, layers, test):
    rows = []
    methods = {**SELECTORS, "cs (htp)": cs_select}
    for density in (0.5, 0.3, 0.2, 0.1):
        for name, fn in methods.items():
            t0 = time.perf_counter()
            new, errs = [], []
            for l in layers:
                H = damped(l.gram)
                nnz = Unstructured().round_nnz(*l.shape, density)
                Wp = fn(l.weight.double() if name == "sparsegpt" else l.weight, H if name == "sparsegpt" else H.float(), nnz)
                new.append(Wp.float())
                errs.append(normalised_error(l.weight.double(), Wp.double(), l.gram))
            el = time.perf_counter() - t0
            wer, cer = wer_cer(with_weights(model, layers, new), test)
            rows.append({"density": density, "method": name, "mean_layer_error": float(np.mean(errs)),
                         "test_wer": wer, "test_cer": cer, "time_s": el})
            print(f"  density {density:.2f} {name:10s} error {np.mean(errs):.4f} WER {wer:.3f} CER {cer:.3f} {el:.1f}s", flush=True)
    return pd.DataFrame(rows)


def simulated_cycles(spec, layers, weights, formats):
    return simulate_weights(spec, [l.name for l in layers], weights, formats).total_cycles


def realise(layers, densities):
    """CS selection at each layer's density; bitmask for sparse layers, dense for full ones."""
    new, errs, fmts = [], [], []
    for l, d in zip(layers, densities):
        nnz = Unstructured().round_nnz(*l.shape, float(d))
        if nnz >= l.weight.numel():
            new.append(l.weight.numpy())
            errs.append(0.0)
            fmts.append("dense")
            continue
        rec = htp(l.weight, damped(l.gram).float(), max(1, nnz))
        new.append(rec.weights.numpy())
        errs.append(rec.error)
        fmts.append("bitmask")
    return new, errs, fmts


def allocation_table(model, layers, test, spec, calib):
    dense_cycles = simulated_cycles(spec, layers, [l.weight.numpy() for l in layers], ["dense"] * len(layers))
    rows = []
    weights = [l.weight.numpy() for l in layers]
    grams = [l.gram.numpy() for l in layers]
    for label, frac in (("loose", 0.8), ("medium", 0.6), ("tight", 0.45)):
        budget = dense_cycles * frac
        target = None
        for label_p, sens in (("planner", None), ("planner + probe", lambda curves: output_probe(model, layers, curves, calib))):
            plan = make_plan(layers, [spec], {spec.name: budget}, {spec.name: 1e12},
                             cache_dir=ROOT / ".cache" / "curves", progress=False, sensitivity=sens)
            cycles = plan.targets[spec.name]["simulated"]["cycles"]
            target = cycles if target is None else target  # baselines match the plain planner's latency
            pw = [lp.weights for lp in plan.layers]
            wer, cer = wer_cer(with_weights(model, layers, pw), test)
            rows.append({"budget": label, "method": label_p, "simulated_cycles": cycles,
                         "density": sum(lp.nnz for lp in plan.layers) / sum(l.weight.numel() for l in layers),
                         "total_error": sum(lp.distortion for lp in plan.layers), "test_wer": wer, "test_cer": cer})
            print(f"  {label}: {label_p:16s} cycles {cycles:.0f} error {rows[-1]['total_error']:.4f} WER {wer:.3f}", flush=True)
        for name, alloc in ALLOCATORS.items():
            lo, hi = 0.01, 1.0  # largest overall density whose simulated latency fits the planner's
            best = None
            for _ in range(12):
                mid = (lo + hi) / 2
                dens = alloc(weights, grams, mid)
                new, errs, fmts = realise(layers, dens)
                if simulated_cycles(spec, layers, new, fmts) <= target:
                    lo, best = mid, (dens, new, errs, fmts)
                else:
                    hi = mid
            if best is None:
                rows.append({"budget": label, "method": name, "simulated_cycles": float("nan"), "density": float("nan"),
                             "total_error": float("nan"), "test_wer": float("nan"), "test_cer": float("nan")})
                print(f"  {label}: {name} cannot reach the planner's latency", flush=True)
                continue
            dens, new, errs, fmts = best
            wer, cer = wer_cer(with_weights(model, layers, new), test)
            rows.append({"budget": label, "method": name, "simulated_cycles": simulated_cycles(spec, layers, new, fmts),
                         "density": float(np.sum(dens * [w.size for w in weights]) / sum(w.size for w in weights)),
                         "total_error": float(np.sum(errs)), "test_wer": wer, "test_cer": cer})
            print(f"  {label}: {name:16s} error {rows[-1]['total_error']:.4f} WER {wer:.3f}", flush=True)
    return pd.DataFrame(rows)


def main():
    model, calib, metrics = load_asr_lstm()
    layers = calibrate(model, find_layers(model), calib)
    test = None
    if CORPUS.exists():
        ckpt = torch.load(ROOT / "planner" / "builtin" / "asr_lstm.pt", weights_only=True)
        splits, _, _ = load_corpus(CORPUS, ckpt["mean"].numpy(), ckpt["std"].numpy())
        test = splits["test"]
        print(f"dense model: test WER {evaluate(model, test)[0]:.3f} CER {evaluate(model, test)[1]:.3f}")
    else:
        print(f"(no corpus at {CORPUS}: WER/CER columns are NaN; run cases/asr_lstm/corpus.py)", file=sys.stderr)
    RESULTS.mkdir(parents=True, exist_ok=True)
    print("selection at equal density (no fine-tuning):")
    sel = selection_table(model, layers, test)
    sel.to_csv(RESULTS / "selection.csv", index=False)
    print("allocation at equal simulated latency on dsp.yaml (CS selection for all, no fine-tuning):")
    alloc = allocation_table(model, layers, test, load_spec(ROOT / "hw_specs" / "dsp.yaml"), calib)
    alloc.to_csv(RESULTS / "allocation.csv", index=False)
    with pd.option_context("display.width", 160, "display.float_format", "{:.4f}".format):
        print(sel.to_string(index=False))
        print(alloc.to_string(index=False))
        pivot = sel.pivot(index="density", columns="method", values="time_s")
        print("time vs SparseGPT:\n", (pivot.div(pivot["sparsegpt"], axis=0)).round(2).to_string())


if __name__ == "__main__":
    main()
