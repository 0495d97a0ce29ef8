"""Plots (PNG and SVG) and a self-contained HTML report of a what-if sweep."""
from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .whatif import densities_matrix, point_label  # noqa: E402


def _save(fig, out: Path, stem: str) -> dict[str, Path]:
    paths = {ext: out / f"{stem}.{ext}" for ext in ("png", "svg")}
    for ext, p in paths.items():
        fig.savefig(p, dpi=130 if ext == "png" else None, bbox_inches="tight")
    plt.close(fig)
    return paths


def frontier_plot(df: pd.DataFrame, out: Path) -> dict[str, Path]:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ok = df[df["feasible"]]
    for (spec, ov), g in ok.groupby(["spec", "override"], sort=True):
        g = g.sort_values("latency_ms")
        ax.plot(g["latency_ms"], g["distortion"], "o-", label=spec if ov == "-" else f"{spec} ({ov})")
    ax.set_xlabel("simulated latency per inference step (ms)")
    ax.set_ylabel("total normalised output error (sum over layers)")
    ax.set_title("Error vs latency frontier per hardware target")
    ax.grid(alpha=0.3)
    if len(ok):
        ax.legend(fontsize=8)
    return _save(fig, out, "frontier")


def density_heatmap(df: pd.DataFrame, out: Path) -> dict[str, Path]:
    mat = densities_matrix(df)
    fig, ax = plt.subplots(figsize=(max(6, 0.45 * max(1, mat.shape[1]) + 3), max(3, 0.35 * max(1, mat.shape[0]) + 2)))
    if mat.size:
        im = ax.imshow(mat.values, aspect="auto", vmin=0, vmax=1, cmap="viridis")
        ax.set_yticks(range(mat.shape[0]), mat.index, fontsize=7)
        ax.set_xticks(range(mat.shape[1]), mat.columns, rotation=75, ha="right", fontsize=7)
        fig.colorbar(im, ax=ax, label="density (fraction of weights kept)")
    ax.set_title("Planned density per layer (rows) and sweep point (columns)")
    return _save(fig, out, "densities")


def format_mix_plot(df: pd.DataFrame, out: Path) -> dict[str, Path]:
    ok = df[df["feasible"]].reset_index(drop=True)
    mix = pd.DataFrame([json.loads(m) for m in ok["format_mix"]]).fillna(0.0) if len(ok) else pd.DataFrame()
    fig, ax = plt.subplots(figsize=(max(6, 0.4 * len(ok) + 3), 4))
    bottom = None
    labels = [point_label(r) for _, r in ok.iterrows()]
    for fmt in mix.columns:
        ax.bar(range(len(ok)), mix[fmt], bottom=bottom, label=fmt)
        bottom = mix[fmt] if bottom is None else bottom + mix[fmt]
    ax.set_xticks(range(len(ok)), labels, rotation=75, ha="right", fontsize=7)
    ax.set_ylabel("fraction of weights stored in each format")
    ax.set_title("Format mix per sweep point")
    if len(mix.columns):
        ax.legend(fontsize=8)
    return _save(fig, out, "formats")


def html_report(df: pd.DataFrame, plots: dict[str, dict[str, Path]], out: Path, title: str = "What-if study") -> Path:
    imgs = "".join(
        f"<h2>{html.escape(name)}</h2><img alt='{html.escape(name)}' src='data:image/png;base64,"
        f"{base64.b64encode(p['png'].read_bytes()).decode()}'/>" for name, p in plots.items())
    cols = [c for c in df.columns if c not in ("layer_densities", "point")]
    feasible = int(df["feasible"].sum())
    doc = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}} table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #ccc;padding:3px 6px}} img{{max-width:100%}}</style></head><body>
<h1>{html.escape(title)}</h1><p>{len(df)} points, {feasible} feasible, {len(df) - feasible} failed (reason in the table).</p>
{imgs}<h2>All points</h2>{df[cols].to_html(index=False, float_format=lambda v: f"{v:.4g}")}</body></html>"""
    path = out / "report.html"
    path.write_text(doc, encoding="utf-8")
    return path


def write_report(df: pd.DataFrame, out_dir: str | Path) -> dict[str, Path]:
    out = Path(out_dir)
    plots = {"Error vs latency frontier": frontier_plot(df, out), "Per-layer density": density_heatmap(df, out),
             "Format mix": format_mix_plot(df, out)}
    return {"report": html_report(df, plots, out), **{f"{k}_png": v["png"] for k, v in
                                                    zip(("frontier", "densities", "formats"), plots.values())}}
