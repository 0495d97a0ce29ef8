"""Export a pruned model's planned layers in their formats with the project's own encoders (the exact byte
layouts), plus a manifest; load them back; simulate their latency from the exported bytes.

Layout of an export folder: ``manifest.json`` and one ``NNN.bin`` per layer.  Integer dtypes store per-row
symmetric scales in the manifest (``w = q * scale``); float dtypes store the values themselves.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from simulators.engine import SimResult, simulate
from simulators.formats import Encoded, get_format
from simulators.spec import HardwareSpec

from ..quantize import quantise
from . import masking

MANIFEST_VERSION = 1


def export_model(model: nn.Module, plan: dict, spec: HardwareSpec, out_dir: str | Path, dtype: str | None = None) -> Path:
    """Encode every planned layer of ``model`` (masks applied) in the plan's format with ``spec``'s parameters."""
    dtype = dtype or spec.weights.dtype
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, l in enumerate(plan["layers"]):
        mod, pname = masking.owner(model, l["name"])
        w = getattr(mod, pname).detach().reshape(l["rows"], l["cols"]).double().numpy()
        fmt = spec.format(l["format"])
        q, scale = quantise(w, dtype)
        if scale is None and np.any((q.astype(np.float64) != w) & (w != 0) & (np.abs(w) < np.finfo(q.dtype).tiny)):
            raise ValueError(f"{l['name']}: weights underflow in {dtype}; export in fp32")
        enc = fmt.encode(q, dtype, spec.weights.alignment_bytes)
        fname = f"{i:03d}.bin"
        tmp = out / (fname + ".tmp")
        tmp.write_bytes(enc.buffer.tobytes())
        os.replace(tmp, out / fname)
        entries.append({"name": l["name"], "file": fname, "format": l["format"], "params": fmt.params,
                        "dtype": dtype, "shape": [l["rows"], l["cols"]], "alignment": spec.weights.alignment_bytes,
                        "sections": [s.data.size for s in enc.sections], "bytes": enc.nbytes,
                        "sha256": hashlib.sha256(enc.buffer.tobytes()).hexdigest(), "row_scale": None if scale is None else scale.tolist()})
    manifest = {"version": MANIFEST_VERSION, "spec": spec.name, "spec_hash": spec.source_hash, "layers": entries}
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1) + "\n")
    os.replace(tmp, out / "manifest.json")
    return out / "manifest.json"


def read_export(out_dir: str | Path) -> tuple[dict, list[tuple[dict, Encoded, np.ndarray]]]:
    """Manifest and, per layer, (entry, the re-built layout, decoded float weights).  Checks every byte."""
    out = Path(out_dir)
    try:
        manifest = json.loads((out / "manifest.json").read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{out} is not an export folder: {e}") from None
    if manifest.get("version", 99) > MANIFEST_VERSION:
        raise ValueError(f"export manifest version {manifest.get('version')} is newer than this tool reads ({MANIFEST_VERSION})")
    layers = []
    for e in manifest["layers"]:
        buf = np.frombuffer((out / e["file"]).read_bytes(), np.uint8)
        if hashlib.sha256(buf.tobytes()).hexdigest() != e["sha256"]:
            raise ValueError(f"{out / e['file']} is corrupt (checksum mismatch)")
        fmt = get_format(e["format"], **e["params"])
        shell = Encoded(e["format"], e["params"], tuple(e["shape"]), e["dtype"], e["alignment"],
                        tuple(_Section(n) for n in e["sections"]), np.zeros(0), np.zeros(0), buf)
        q = fmt.decode(shell)
        w = q.astype(np.float64)
        if e["row_scale"] is not None:
            w = w * np.asarray(e["row_scale"])[:, None]
        enc = fmt.encode(q, e["dtype"], e["alignment"])  # the full layout (row offsets) for the simulator
        if not np.array_equal(enc.buffer, buf):
            raise ValueError(f"{e['file']}: re-encoding does not reproduce the exported bytes")
        layers.append((e, enc, w))
    return manifest, layers


class _Section:
    """Size-only stand-in for a section when decoding from bytes."""

    def __init__(self, size: int):
        self.data = np.zeros(size, np.uint8)
        self.name = ""


def load_export(model: nn.Module, out_dir: str | Path) -> nn.Module:
    """Write the exported weights into ``model`` (in place) and return it."""
    _, layers = read_export(out_dir)
    with torch.no_grad():
        for e, _, w in layers:
            mod, pname = masking.owner(model, e["name"])
            p = getattr(mod, pname)
            p.copy_(torch.from_numpy(w).reshape(p.shape).to(p.dtype))
    return model


def simulate_export(out_dir: str | Path, spec: HardwareSpec, batch: int | None = None) -> SimResult:
    """Cycle-level latency of the exported layouts on ``spec``."""
    _, layers = read_export(out_dir)
    return simulate([e["name"] for e, _, _ in layers], [enc for _, enc, _ in layers], spec, batch=batch)
