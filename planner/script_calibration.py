"""Calibration for TorchScript models: torch runs no Python forward hooks inside ScriptModules, but every aten op
the TorchScript interpreter executes still passes through the dispatcher, where a ``TorchDispatchMode`` sees it.
Ops that use a prunable weight (matched by storage) give that weight's input: ``addmm``/``mm``/``linear`` (the
other matrix), ``convolution`` (the unfolded input) and ``mkldnn_rnn_layer`` (the layer input for ``weight_ih``,
the previous hidden states for ``weight_hh``)."""
from __future__ import annotations

import torch
from torch.nn import functional as F
from torch.utils._python_dispatch import TorchDispatchMode

aten = torch.ops.aten


def _key(t) -> int | None:
    return t.untyped_storage().data_ptr() if isinstance(t, torch.Tensor) else None


class _Recorder(TorchDispatchMode):
    def __init__(self, weights: dict[int, str], sink):
        super().__init__()
        self.weights, self.sink = weights, sink

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        packet = func._overloadpacket
        if packet in (aten.addmm, aten.mm, aten.linear, aten.matmul):
            mats = list(args[1:3]) if packet is aten.addmm else list(args[:2])
            for i, m in enumerate(mats):
                name = self.weights.get(_key(m))
                if name is not None and m.dim() == 2:
                    other = mats[1 - i] if packet is not aten.linear else mats[0]
                    if packet is aten.linear or i == 1:  # X @ W^T: the input is the left operand
                        self.sink(name, other)
        elif packet is aten.convolution:
            x, w = args[0], args[1]
            name = self.weights.get(_key(w))
            if name is not None:
                stride, padding, dilation = args[3], args[4], args[5]
                if x.dim() == 3:
                    cols = F.unfold(x[..., None], (w.shape[2], 1), dilation=(dilation[0], 1), padding=(padding[0], 0),
                                    stride=(stride[0], 1))
                else:
                    cols = F.unfold(x, tuple(w.shape[2:]), dilation=tuple(dilation), padding=tuple(padding),
                                    stride=tuple(stride))
                self.sink(name, cols.transpose(1, 2))
        elif str(func).startswith("aten.mkldnn_rnn_layer"):
            x, w_ih, w_hh, hx = args[0], args[1], args[2], args[5]
            reverse = bool(args[7])
            h = out[0]  # (T, B, H) outputs, time order as given
            if reverse:
                h_prev = torch.cat([h[1:], hx[None].expand_as(h[:1])], dim=0)
            else:
                h_prev = torch.cat([hx[None].expand_as(h[:1]), h[:-1]], dim=0)
            for w, inp in ((w_ih, x), (w_hh, h_prev)):
                name = self.weights.get(_key(w))
                if name is not None:
                    self.sink(name, inp)
        return out


def record_inputs(model, names: list[str], inputs: list, sink) -> None:
    """Run ``model`` on ``inputs`` and call ``sink(layer name, input rows)`` for each use of a named weight."""
    params = dict(model.named_parameters())
    weights = {_key(params[n]): n for n in names}
    with torch.no_grad(), _Recorder(weights, sink):
        for batch in inputs:
            model(*batch) if isinstance(batch, (tuple, list)) else model(batch)
