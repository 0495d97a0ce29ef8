"""Masks through torch's parametrisation mechanism (as ``torch.ao.pruning`` does): the module's weight becomes
``original * mask``, gradients reach ``original``, and :func:`squash` bakes the mask in."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize


class FakeSparsity(nn.Module):
    """Parametrisation ``w -> w * mask`` with the mask as a buffer (saved in state dicts)."""

    def __init__(self, mask: torch.Tensor):
        super().__init__()
        self.register_buffer("mask", mask.to(torch.bool))

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return w * self.mask.reshape(w.shape)


def owner(model: nn.Module, name: str) -> tuple[nn.Module, str]:
    """The module holding parameter ``name`` (a fully-qualified name such as ``lstm.weight_ih_l0``) and the
    parameter's local name."""
    mod_name, _, pname = name.rpartition(".")
    mod = model
    for part in mod_name.split(".") if mod_name else []:  # get_submodule() refuses ScriptModules
        mod = getattr(mod, part)
    return mod, pname


def attach(model: nn.Module, name: str, mask: torch.Tensor) -> FakeSparsity:
    mod, pname = owner(model, name)
    if parametrize.is_parametrized(mod, pname):
        p = mod.parametrizations[pname][0]
        p.mask.copy_(mask.reshape(p.mask.shape))
        return p
    p = FakeSparsity(mask.reshape(getattr(mod, pname).shape))
    parametrize.register_parametrization(mod, pname, p)
    return p


def original(model: nn.Module, name: str) -> torch.Tensor:
    """The dense parameter behind a (possibly) masked weight."""
    mod, pname = owner(model, name)
    if parametrize.is_parametrized(mod, pname):
        return mod.parametrizations[pname].original
    return getattr(mod, pname)


def squash(model: nn.Module, names: list[str]) -> None:
    """Remove the parametrisations, leaving ``weight = original * mask`` as a plain parameter."""
    for name in names:
        mod, pname = owner(model, name)
        if parametrize.is_parametrized(mod, pname):
            parametrize.remove_parametrizations(mod, pname, leave_parametrized=True)


def current_mask(model: nn.Module, name: str) -> torch.Tensor:
    """The mask now applied to ``name`` (all ones when it is not parametrised)."""
    mod, pname = owner(model, name)
    if parametrize.is_parametrized(mod, pname):
        return mod.parametrizations[pname][0].mask
    return torch.ones_like(getattr(mod, pname), dtype=torch.bool)
