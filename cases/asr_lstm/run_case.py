"""The ASR case end to end: dense baseline, then plans on dsp.yaml at 50/70/80/90% overall sparsity, each fine-tuned
with compressed-sensing selection and with magnitude selection (same schedule, same steps).

    python cases/asr_lstm/run_case.py [--steps 600] [--sparsities 0.5,0.7,0.8,0.9] [--selects cs,magnitude]

Runs resume: a finished run (results.json) is reused, an interrupted one continues from its checkpoint.  Writes
``cases/asr_lstm/results/case.csv``, ``case.md`` and ``wer_vs_latency.png``/``.svg``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from planner.asr.data import evaluate, load_corpus  # noqa: E402
from planner.builtin import HERE as BUILTIN  # noqa: E402
from planner.builtin import load_asr_lstm  # noqa: E402
from planner.layers import calibrate, find_layers  # noqa: E402
from planner.plan import make_plan  # noqa: E402
from planner.plan_io import plan_document, write_plan  # noqa: E402
from planner.training.export import export_model, simulate_export  # noqa: E402
from planner.training.finetune import DEFAULT_CORPUS, FinetuneConfig, finetune_asr  # noqa: E402
from simulators.spec import load_spec  # noqa: E402

HERE = Path(__file__).resolve().parent
RUNS = HERE / "build" / "runs"
RESULTS = HERE / "results"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--sparsities", default="0.5,0.7,0.8,0.9")
    ap.add_argument("--selects", default="cs,magnitude")
    ap.add_argument("--hw", default=str(ROOT / "hw_specs" / "dsp.yaml"))
    ap.add_argument("--runs", type=Path, default=RUNS, help="where runs (checkpoints, models, exports) go")
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    runs, results = args.runs, args.results
    if not DEFAULT_CORPUS.exists():
        sys.exit(f"{DEFAULT_CORPUS} missing: run python cases/asr_lstm/corpus.py first")
    spec = load_spec(args.hw)
    model, calib, _ = load_asr_lstm()
    stats = torch.load(BUILTIN / "asr_lstm.pt", weights_only=True)
    splits, _, _ = load_corpus(DEFAULT_CORPUS, stats["mean"].numpy(), stats["std"].numpy())
    layers = calibrate(model, find_layers(model), calib)
    rows = []
    dense_doc = {"layers": [{"name": l.name, "rows": l.shape[0], "cols": l.shape[1], "format": "dense",
                             "structure": "dense", "density": 1.0, "nonzeros": l.weight.numel()} for l in layers]}
    export_model(model, dense_doc, spec, runs / "dense" / "export")
    dense_sim = simulate_export(runs / "dense" / "export", spec)
    wer, cer = evaluate(model, splits["test"])
    rows.append({"run": "dense", "sparsity": 0.0, "select": "-", "test_wer": wer, "test_cer": cer,
                 "nonzeros": sum(l.weight.numel() for l in layers), "bytes": dense_sim.total_bytes,
                 "latency_us": dense_sim.total_s * 1e6, "speedup": 1.0})
    print(rows[-1], flush=True)
    # control: the same fine-tuning without pruning, to separate the effect of training from that of sparsity
    run = runs / "dense_finetuned"
    if not (run / "results.json").exists():
        finetune_asr({**dense_doc, "model": {"name": "asr_lstm"}}, run, FinetuneConfig(steps=args.steps, select="magnitude"),
                     resume=(run / "checkpoint.pt").exists(), progress=False)
    res = json.loads((run / "results.json").read_text())
    rows.append({**rows[0], "run": "dense_finetuned", "select": "-", "test_wer": res["test_wer"], "test_cer": res["test_cer"]})
    print(rows[-1], flush=True)
    for s in [float(v) for v in args.sparsities.split(",")]:
        plan_path = runs / f"plan_{s:.2f}" / "plan.yaml"
        huge = {spec.name: 1e12}
        plan = make_plan(layers, [spec], huge, huge, cache_dir=ROOT / ".cache" / "curves", progress=False,
                         max_density=1.0 - s)
        write_plan(plan, plan_path, {"name": "asr_lstm", "source": "asr_lstm"}, {})
        doc = plan_document(plan, {"name": "asr_lstm"}, {})
        for select in args.selects.split(","):
            run = runs / f"s{s:.2f}_{select}"
            cfg = FinetuneConfig(steps=args.steps, select=select)
            if (run / "results.json").exists():
                res = json.loads((run / "results.json").read_text())
            else:
                res = finetune_asr(doc, run, cfg, resume=(run / "checkpoint.pt").exists(), progress=False)
            tuned, _, _ = load_asr_lstm()
            tuned.load_state_dict(torch.load(run / "final.pt", weights_only=True)["state_dict"])
            export_model(tuned, doc, spec, run / "export")
            sim = simulate_export(run / "export", spec)
            rows.append({"run": run.name, "sparsity": s, "select": select, "test_wer": res["test_wer"],
                         "test_cer": res["test_cer"], "nonzeros": sum(l["nonzeros"] for l in doc["layers"]),
                         "bytes": sim.total_bytes, "latency_us": sim.total_s * 1e6,
                         "speedup": dense_sim.total_s / sim.total_s})
            print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    df = pd.concat([df.iloc[:2], df.iloc[2:].sort_values(["sparsity", "select"])], ignore_index=True)
    results.mkdir(parents=True, exist_ok=True)
    df.to_csv(results / "case.csv", index=False)
    (results / "case.md").write_text(df.to_markdown(index=False, floatfmt=".4f") + "\n")
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for select, g in df[df["select"] != "-"].groupby("select"):
        g = g.sort_values("latency_us")
        ax.plot(g["latency_us"], g["test_wer"] * 100, "o-", label=f"{select} selection")
    ax.axhline(df.loc[0, "test_wer"] * 100, color="gray", ls="--", label="dense")
    ax.axhline(df.loc[1, "test_wer"] * 100, color="gray", ls=":", label="dense, fine-tuned alike")
    ax.set_xlabel(f"simulated latency per step on {spec.name} (µs)")
    ax.set_ylabel("test WER (%)")
    ax.set_title("ASR case: WER vs simulated latency after fine-tuning")
    ax.legend()
    ax.grid(alpha=0.3)
    for ext in ("png", "svg"):
        fig.savefig(results / f"wer_vs_latency.{ext}", dpi=130, bbox_inches="tight")
    print(df.to_string(index=False))


if __name__ == "__main__":
    main()
