"""Write and read plan files (schema ``sparsity-plan`` version 1, documented in the README).

A plan is three files written atomically side by side: ``plan.yaml`` (human- and machine-readable), ``<stem>.masks.npz``
(packed boolean masks per layer) and ``<stem>.torch_ao.json`` (the config ``torch.ao.pruning`` sparsifiers take).
Nothing is written unless all three are complete; no timestamps, so the same inputs give the same bytes.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import yaml

from .plan import Plan

SCHEMA = "sparsity-plan"
VERSION = 1


def plan_document(plan: Plan, model: dict, calibration: dict) -> dict:
    """The plan as plain data (what ``plan.yaml`` holds)."""
    r = lambda x, n=6: float(round(float(x), n))  # noqa: E731
    total_nnz = sum(l.nnz for l in plan.layers)
    total_w = sum(l.rows * l.cols for l in plan.layers)
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "model": model,
        "calibration": calibration,
        "targets": {h: {"spec_hash": t["spec_hash"], "clock_hz": r(t["clock_hz"], 1),
                        "budgets": {k: r(v, 9) for k, v in t["budgets"].items()},
                        "simulated": {k: r(v, 9) for k, v in t["simulated"].items()},
                        "dense": {k: r(v, 9) for k, v in t["dense"].items()}}
                    for h, t in plan.targets.items()},
        "solver": {"sensitivity": plan.solver.get("sensitivity"), "program": plan.solver["program"], "solver": plan.solver["solver"], "status": plan.solver["status"],
                   "objective": r(plan.solver["objective"]), "rounds": plan.solver["rounds"]},
        "totals": {"weights": total_w, "nonzeros": total_nnz, "density": r(total_nnz / total_w),
                   "distortion": r(sum(l.distortion for l in plan.layers))},
        "layers": [{"name": l.name, "rows": l.rows, "cols": l.cols, "format": l.format, "structure": l.structure,
                    "density": r(l.density), "nonzeros": l.nnz, "distortion": r(l.distortion),
                    "targets": {h: {"bytes": v["bytes"], "analytic_cycles": r(v["analytic_cycles"], 1),
                                    "simulated_cycles": r(v["simulated_cycles"], 1)} for h, v in l.per_target.items()}}
                   for l in plan.layers],
    }


def torch_ao_config(plan: Plan) -> list[dict]:
    """``torch.ao.pruning`` sparsifier config: one entry per tensor with its sparsity level (1 - density)."""
    return [{"tensor_fqn": l.name, "sparsity_level": round(1.0 - l.density, 6)} for l in plan.layers]


def _atomic_write(files: dict[Path, bytes]) -> None:
    tmps = {}
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            tmps[path] = Path(tmp)
        for path, tmp in tmps.items():
            tmp.replace(path)
    finally:
        for tmp in tmps.values():
            if tmp.exists():
                tmp.unlink()


def write_plan(plan: Plan, path: str | Path, model: dict, calibration: dict) -> dict[str, Path]:
    """Write ``plan.yaml`` and its two companions; returns their paths."""
    path = Path(path)
    stem = path.with_suffix("")
    masks_path = stem.with_name(stem.name + ".masks.npz")
    ao_path = stem.with_name(stem.name + ".torch_ao.json")
    doc = plan_document(plan, model, calibration)
    doc["masks_file"] = masks_path.name
    doc["torch_ao_file"] = ao_path.name
    import io

    buf = io.BytesIO()
    np.savez_compressed(buf, **{f"{i:04d}": np.packbits(l.mask.ravel()) for i, l in enumerate(plan.layers)},
                        names=np.array([l.name for l in plan.layers]),
                        shapes=np.array([[l.rows, l.cols] for l in plan.layers]))
    _atomic_write({
        path: yaml.safe_dump(doc, sort_keys=False).encode(),
        masks_path: buf.getvalue(),
        ao_path: (json.dumps(torch_ao_config(plan), indent=2) + "\n").encode(),
    })
    return {"plan": path, "masks": masks_path, "torch_ao": ao_path}


def read_plan(path: str | Path) -> tuple[dict, dict[str, np.ndarray]]:
    """The plan document and its masks by layer name; clear errors for other schemas and newer versions."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ValueError(f"cannot read plan {path}: {e}") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise ValueError(f"{path} is not a sparsity plan (schema {SCHEMA!r})")
    if not isinstance(doc.get("version"), int) or doc["version"] > VERSION:
        raise ValueError(f"{path} has plan schema version {doc.get('version')}; this planner reads up to {VERSION}: upgrade it")
    z = np.load(path.parent / doc["masks_file"])
    masks = {}
    for i, (name, shape) in enumerate(zip(z["names"].tolist(), z["shapes"])):
        masks[name] = np.unpackbits(z[f"{i:04d}"], count=int(shape[0] * shape[1])).reshape(shape).astype(bool)
    return doc, masks
