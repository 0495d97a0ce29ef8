"""Resolve ``--model`` (a built-in name, a TorchScript file, or ``module:factory``) and ``--calib`` into a module and
calibration inputs, with clear errors for every way this can go wrong."""
from __future__ import annotations

import hashlib
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .builtin import BUILTIN, load_asr_lstm


@dataclass
class ModelSource:
    name: str
    model: nn.Module
    calibration: list
    metrics: dict


def _load_calibration(path: str) -> list:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"calibration file {p} not found")
    if p.suffix in (".npy", ".npz"):
        z = np.load(p)
        arrays = [z] if isinstance(z, np.ndarray) else [z[k] for k in z.files]
        data = [torch.from_numpy(np.asarray(a, np.float32)) for a in arrays]
    else:
        try:
            obj = torch.load(p, map_location="cpu", weights_only=True)
        except Exception as e:  # noqa: BLE001 - any unreadable file is the same user error
            raise ValueError(f"cannot read calibration file {p}: {e}") from None
        data = obj if isinstance(obj, (list, tuple)) else [obj]
    data = [d for d in data if not (isinstance(d, torch.Tensor) and d.numel() == 0)]
    if not data:
        raise ValueError(f"calibration file {p} holds no data")
    return list(data)


def load_model(spec: str | None, calib: str | None = None, checkpoint: str | None = None,
               need_calibration: bool = True) -> ModelSource:
    """The model named by ``spec`` (default: the built-in ``asr_lstm``) and its calibration inputs."""
    spec = spec or "asr_lstm"
    metrics: dict = {}
    if spec in BUILTIN:
        model, data, metrics = load_asr_lstm()
        name = spec
    elif ":" in spec and not Path(spec).exists():
        module_name, _, attr = spec.partition(":")
        if str(Path.cwd()) not in sys.path:  # like `python -m`, import the user's modules from the working directory
            sys.path.insert(0, str(Path.cwd()))
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as e:
            raise ValueError(f"cannot import model factory {spec!r}: {e}") from None
        try:
            model = factory()
        except Exception as e:  # noqa: BLE001 - the user's factory may raise anything
            raise ValueError(f"model factory {spec!r} raised {type(e).__name__}: {e}") from None
        if not isinstance(model, nn.Module):
            raise ValueError(f"model factory {spec!r} returned {type(model).__name__}, not a torch.nn.Module")
        name, data = attr, None
    elif Path(spec).exists():
        try:
            model = torch.jit.load(spec, map_location="cpu")
        except Exception as e:  # noqa: BLE001
            raise ValueError(f"{spec} is not a TorchScript file ({str(e).splitlines()[0]}); for a state dict use "
                             f"--model module:factory --checkpoint {spec}") from None
        name, data = Path(spec).stem, None
    else:
        raise ValueError(f"unknown model {spec!r}: give a built-in name ({', '.join(BUILTIN)}), a TorchScript file, "
                         f"or module:factory")
    if checkpoint:
        _load_checkpoint(model, checkpoint)
    if calib:
        data = _load_calibration(calib)
    if data is None and need_calibration:
        raise ValueError(f"model {spec!r} needs calibration inputs: pass --calib FILE (.pt tensor or list, .npy, .npz)")
    model.eval()
    return ModelSource(name, model, data or [], metrics)


def _load_checkpoint(model: nn.Module, path: str) -> None:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001
        raise ValueError(f"cannot read checkpoint {path}: {str(e).splitlines()[0]}") from None
    state = state.get("state_dict", state) if isinstance(state, dict) else state
    if not isinstance(state, dict):
        raise ValueError(f"checkpoint {path} holds no state dict")
    own = model.state_dict()
    problems = [f"missing {k}" for k in own if k not in state] + [f"unexpected {k}" for k in state if k not in own]
    problems += [f"{k}: shape {tuple(state[k].shape)} in checkpoint, {tuple(v.shape)} in model"
                 for k, v in own.items() if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if problems:
        raise ValueError(f"checkpoint {path} does not match the model: " + "; ".join(problems[:8]))
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})


def tensor_hash(tensors) -> str:
    """Short content hash of tensors (in order)."""
    h = hashlib.sha256()
    for t in tensors:
        if isinstance(t, (tuple, list)):
            h.update(tensor_hash(t).encode())
        else:
            h.update(np.ascontiguousarray(t.detach().float().numpy()).tobytes())
            h.update(str(tuple(t.shape)).encode())
    return h.hexdigest()[:16]
