"""What-if sweeps: plan one model for every (spec, spec override, latency budget, memory budget) and collect a tidy
table.  Points run in parallel (local processes by default, or a Dask cluster); each finished point is saved at
once, so an interrupted sweep resumes without redoing it; a failed point is a row with its reason.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import yaml
from tqdm import tqdm

from simulators.spec import SpecError, parse_spec, read_spec_data, set_fields

from .allocate import Infeasible
from .layers import Layer
from .plan import make_plan


@dataclass(frozen=True)
class Point:
    """One sweep point; ``overrides`` are ``(dotted key, value)`` pairs applied to the spec file's YAML."""

    spec_path: str
    overrides: tuple[tuple[str, object], ...]
    latency_ms: float | None
    memory_mb: float | None

    @property
    def key(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True, default=str).encode()).hexdigest()[:16]

    @property
    def override_label(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.overrides) or "-"


def parse_set(expr: str) -> tuple[str, list]:
    """``memories.dram.bus_width_bytes=4,8,16`` -> (key, [4, 8, 16]); values read as YAML scalars."""
    key, sep, values = expr.partition("=")
    if not sep or not key.strip() or not values.strip():
        raise ValueError(f"--set expects KEY=V1,V2,... (e.g. memories.lpddr4x.bus_width_bytes=2,4), got {expr!r}")
    return key.strip(), [yaml.safe_load(v.strip()) for v in values.split(",")]


def apply_overrides(data: dict, overrides, source: str) -> dict:
    """Spec data with a point's ``--set`` overrides applied (existing fields only)."""
    try:
        return set_fields(data, overrides, source)
    except ValueError as e:
        raise ValueError(f"--set {e}") from None


def make_points(spec_paths, latencies_ms, memories_mb, sets: list[str]) -> list[Point]:
    """The cartesian product of specs, override combinations and budgets (None = the spec's default)."""
    parsed = [parse_set(s) for s in sets]
    combos = [tuple(zip([k for k, _ in parsed], vals)) for vals in itertools.product(*[v for _, v in parsed])] or [()]
    return [Point(str(s), c, l, m) for s in spec_paths for c in combos for l in (latencies_ms or [None])
            for m in (memories_mb or [None])]


def run_point(point: Point, layers: list[Layer], cache_dir: str) -> dict:
    """Plan one point; never raises for a bad budget or spec: the row carries the reason."""
    row = {"point": point.key, "spec_file": point.spec_path, "override": point.override_label,
           "latency_budget_ms": point.latency_ms, "memory_budget_mb": point.memory_mb}
    try:
        _, raw = read_spec_data(point.spec_path)
        spec = parse_spec(apply_overrides(raw, point.overrides, point.spec_path), point.spec_path)
        row["spec"] = spec.name
        lat_s = point.latency_ms * 1e-3 if point.latency_ms else spec.budgets.latency_s
        mem_b = point.memory_mb * 2**20 if point.memory_mb else spec.budgets.weight_memory_bytes
        row["latency_budget_ms"], row["memory_budget_mb"] = lat_s * 1e3, mem_b / 2**20
        plan = make_plan(layers, [spec], {spec.name: lat_s * spec.clock_hz}, {spec.name: mem_b},
                         cache_dir=Path(cache_dir), progress=False)
    except (Infeasible, ValueError, SpecError, OSError) as e:
        row.update({"feasible": False, "reason": str(e).splitlines()[0][:500]})
        return row
    t = plan.targets[spec.name]
    weights = sum(l.rows * l.cols for l in plan.layers)
    mix: dict[str, float] = {}
    for l in plan.layers:
        mix[l.format] = mix.get(l.format, 0.0) + l.rows * l.cols / weights
    row.update({
        "feasible": True, "reason": "",
        "distortion": sum(l.distortion for l in plan.layers),
        "sparsity": 1.0 - sum(l.nnz for l in plan.layers) / weights,
        "latency_ms": t["simulated"]["seconds"] * 1e3, "memory_mb": t["simulated"]["bytes"] / 2**20,
        "dense_latency_ms": t["dense"]["seconds"] * 1e3, "dense_memory_mb": t["dense"]["bytes"] / 2**20,
        "format_mix": json.dumps({k: round(v, 4) for k, v in sorted(mix.items())}),
        "layer_densities": json.dumps({l.name: round(l.density, 4) for l in plan.layers}),
        "program": plan.solver["program"], "rounds": len(plan.solver["rounds"]),
    })
    return row


def _run_local(points, layers, cache_dir, workers, on_done):
    if workers <= 1:
        for p in points:
            on_done(run_point(p, layers, cache_dir))
        return
    # spawn, not fork: forked children of a process that already ran torch's thread pools can deadlock
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(run_point, p, layers, cache_dir) for p in points]
        for f in as_completed(futures):
            on_done(f.result())


def _run_dask(points, layers, cache_dir, address, on_done):
    from distributed import Client, LocalCluster, as_completed as dask_completed

    cluster = None
    if address:
        client = Client(address)
    else:
        cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        shared = client.scatter(layers, broadcast=True)
        futures = [client.submit(run_point, p, shared, cache_dir, pure=False) for p in points]
        for f in dask_completed(futures):
            on_done(f.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_sweep(points: list[Point], layers: list[Layer], out_dir: str | Path, cache_dir: str | Path,
              executor: str = "local", workers: int | None = None, address: str | None = None,
              progress: bool = True) -> pd.DataFrame:
    """Run every point not already saved under ``out_dir/points``; returns the table of all points, in order."""
    out = Path(out_dir)
    done_dir = out / "points"
    done_dir.mkdir(parents=True, exist_ok=True)
    todo = [p for p in points if not (done_dir / f"{p.key}.json").exists()]
    bar = tqdm(total=len(points), initial=len(points) - len(todo), desc="what-if points", disable=not progress)

    def on_done(row):
        tmp = done_dir / f"{row['point']}.json.tmp"
        tmp.write_text(json.dumps(row, default=float))
        tmp.replace(done_dir / f"{row['point']}.json")
        bar.update(1)

    if todo:
        if executor == "dask":
            _run_dask(todo, layers, str(cache_dir), address, on_done)
        elif executor in ("local", "serial"):
            n = 1 if executor == "serial" else (workers or os.cpu_count() or 1)
            _run_local(todo, layers, str(cache_dir), min(n, len(todo)), on_done)
        else:
            raise ValueError(f"unknown executor {executor!r}; use local, serial or dask")
    bar.close()
    rows = [json.loads((done_dir / f"{p.key}.json").read_text()) for p in points]
    return pd.DataFrame(rows)


def write_tables(df: pd.DataFrame, out_dir: str | Path) -> dict[str, Path]:
    out = Path(out_dir)
    paths = {"csv": out / "whatif.csv", "parquet": out / "whatif.parquet"}
    df.to_csv(paths["csv"], index=False)
    df.to_parquet(paths["parquet"], index=False)
    return paths


def densities_matrix(df: pd.DataFrame) -> pd.DataFrame:
    """Layers x feasible points: each layer's planned density."""
    ok = df[df["feasible"]]
    return pd.DataFrame({point_label(r): json.loads(r["layer_densities"]) for _, r in ok.iterrows()})


def point_label(row) -> str:
    """Short label of a sweep point for plots: spec, override, budgets."""
    override = "" if row["override"] == "-" else f" {row['override']}"
    return f"{row['spec']}{override} {row['latency_budget_ms']:.3g}ms {row['memory_budget_mb']:.3g}MiB"


__all__ = ["Point", "make_points", "run_point", "run_sweep", "write_tables", "densities_matrix", "point_label"]
