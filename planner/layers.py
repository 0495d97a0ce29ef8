"""Find a model's prunable weight matrices and collect each one's input Gram matrix on calibration data.

Prunable: ``nn.Linear``, ``nn.Conv1d``/``nn.Conv2d`` (weight as out x in*kernel, inputs unfolded), and every gate
matrix of ``nn.LSTM``/``nn.GRU`` (``weight_ih_l*`` and ``weight_hh_l*``, each its own layer with its own input:
the layer's input sequence, and the previous hidden state).  Only ``H = X^T X / N`` and ``N`` are kept, never the
activations.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class Layer:
    """A prunable matrix: ``name`` is the parameter's fully-qualified name; ``weight`` (rows x cols, float32);
    ``gram`` (cols x cols, float64) and ``samples`` once calibrated."""

    name: str
    weight: torch.Tensor
    gram: torch.Tensor | None = None
    samples: int = 0

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.weight.shape)


def _matrix(p: torch.Tensor) -> torch.Tensor:
    return p.detach().reshape(p.shape[0], -1).float().clone()


def _kind(mod: nn.Module) -> str | None:
    """``linear``/``conv``/``rnn`` for eager modules and for TorchScript copies of them (by ``original_name``)."""
    if isinstance(mod, torch.jit.ScriptModule):
        name = getattr(mod, "original_name", "")
        return {"Linear": "linear", "Conv1d": "conv", "Conv2d": "conv", "LSTM": "rnn", "GRU": "rnn"}.get(name)
    if isinstance(mod, nn.Linear):
        return "linear"
    if isinstance(mod, (nn.Conv1d, nn.Conv2d)):
        return "conv" if mod.groups == 1 else None  # grouped/depthwise convolutions are left dense
    if isinstance(mod, (nn.LSTM, nn.GRU)):
        return "rnn"
    return None


def find_layers(model: nn.Module) -> list[Layer]:
    """Every prunable matrix of ``model`` (eager or TorchScript), in module order."""
    out = []
    for mname, mod in model.named_modules():
        prefix = f"{mname}." if mname else ""
        kind = _kind(mod)
        if kind in ("linear", "conv"):
            if kind == "conv" and getattr(mod, "groups", 1) != 1:
                continue
            out.append(Layer(prefix + "weight", _matrix(mod.weight)))
        elif kind == "rnn":
            for pname, p in mod.named_parameters(recurse=False):
                if pname.startswith(("weight_ih", "weight_hh")):
                    out.append(Layer(prefix + pname, _matrix(p)))
    return out


class _Gram:
    def __init__(self, n: int):
        self.H = torch.zeros(n, n, dtype=torch.float64)
        self.count = 0

    def add(self, X: torch.Tensor) -> None:
        X = X.detach().reshape(-1, X.shape[-1]).double()
        if not torch.isfinite(X).all():
            raise ValueError("calibration activations contain NaN or infinity")
        self.H += X.T @ X
        self.count += X.shape[0]


def _rnn_inputs(mod: nn.Module, x: torch.Tensor, hx=None):
    """Yield (param name, input rows) for each gate matrix of an LSTM/GRU, running it one layer at a time."""
    if not mod.batch_first:
        x = x.transpose(0, 1)
    if x.dim() == 2:
        x = x[None]
    dirs = 2 if mod.bidirectional else 1
    cls = type(mod)
    for k in range(mod.num_layers):
        outs = []
        for d in range(dirs):
            sfx = f"_l{k}" + ("_reverse" if d else "")
            single = cls(x.shape[-1], mod.hidden_size, 1, bias=mod.bias, batch_first=True,
                         **({"proj_size": mod.proj_size} if isinstance(mod, nn.LSTM) else {}))
            with torch.no_grad():
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"):
                    if hasattr(mod, name + sfx):
                        getattr(single, name + "_l0").copy_(getattr(mod, name + sfx))
            seq = x.flip(1) if d else x
            h, _ = single(seq)
            prev = torch.cat([torch.zeros_like(h[:, :1]), h[:, :-1]], dim=1)  # hidden state fed to weight_hh
            yield "weight_ih" + sfx, seq
            yield "weight_hh" + sfx, prev
            outs.append(h.flip(1) if d else h)
        x = torch.cat(outs, dim=-1)


@torch.no_grad()
def calibrate(model: nn.Module, layers: list[Layer], inputs: list) -> list[Layer]:
    """Fill each layer's Gram from forward passes of ``model`` over ``inputs`` (tensors or tuples of tensors)."""
    if not inputs:
        raise ValueError("calibration data is empty: give at least one input batch")
    by_name = {l.name: l for l in layers}
    grams = {l.name: _Gram(l.shape[1]) for l in layers}
    if isinstance(model, torch.jit.ScriptModule):  # no hooks inside TorchScript: watch the dispatcher instead
        from .script_calibration import record_inputs

        try:
            record_inputs(model, list(by_name), inputs, lambda name, X: grams[name].add(X))
        except (RuntimeError, TypeError, IndexError) as e:
            raise ValueError(f"the model's forward pass failed on calibration input: {str(e).splitlines()[0]}") from None
        return _finish(layers, grams)
    hooks = []
    for mname, mod in model.named_modules():
        prefix = f"{mname}." if mname else ""
        if isinstance(mod, nn.Linear) and prefix + "weight" in by_name:
            g = grams[prefix + "weight"]
            hooks.append(mod.register_forward_hook(lambda m, i, o, g=g: g.add(i[0])))
        elif isinstance(mod, nn.Conv1d) and prefix + "weight" in by_name:
            g = grams[prefix + "weight"]

            def conv1d_hook(m, i, o, g=g):
                cols = F.unfold(i[0][..., None], (m.kernel_size[0], 1), dilation=(m.dilation[0], 1),
                                padding=(m.padding[0], 0), stride=(m.stride[0], 1))
                g.add(cols.transpose(1, 2))
            hooks.append(mod.register_forward_hook(conv1d_hook))
        elif isinstance(mod, nn.Conv2d) and prefix + "weight" in by_name:
            g = grams[prefix + "weight"]

            def conv2d_hook(m, i, o, g=g):
                cols = F.unfold(i[0], m.kernel_size, dilation=m.dilation, padding=m.padding, stride=m.stride)
                g.add(cols.transpose(1, 2))
            hooks.append(mod.register_forward_hook(conv2d_hook))
        elif isinstance(mod, (nn.LSTM, nn.GRU)):
            def rnn_hook(m, i, o, prefix=prefix):
                for pname, X in _rnn_inputs(m, i[0]):
                    if prefix + pname in grams:
                        grams[prefix + pname].add(X)
            hooks.append(mod.register_forward_hook(rnn_hook))
    try:
        model.eval()
        for i, batch in enumerate(inputs):
            try:
                model(*batch) if isinstance(batch, (tuple, list)) else model(batch)
            except (RuntimeError, TypeError, IndexError) as e:
                raise ValueError(f"the model's forward pass failed on calibration input {i}: "
                                 f"{str(e).splitlines()[0]}") from None
    finally:
        for h in hooks:
            h.remove()
    return _finish(layers, grams)


def _finish(layers: list[Layer], grams: dict) -> list[Layer]:
    for l in layers:
        g = grams[l.name]
        if g.count == 0:
            raise ValueError(f"layer {l.name} saw no calibration input (is it used in forward()?)")
        l.gram, l.samples = g.H / g.count, g.count
    return layers
