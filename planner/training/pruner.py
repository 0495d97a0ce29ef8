"""Gradual pruning to a plan's per-layer densities, selecting weights by compressed-sensing recovery."""
from __future__ import annotations

import re

import numpy as np
import torch
from torch import nn

from ..cs import damped, htp
from ..layers import Layer, calibrate, find_layers
from ..structure import Blocks, NOfM, Unstructured
from . import masking
from .schedule import cubic_density


def structure_from_key(key: str):
    """Inverse of :func:`planner.structure.structure_key` (``dense`` is unstructured at density 1)."""
    if m := re.fullmatch(r"block(\d+)x(\d+)", key):
        return Blocks(int(m[1]), int(m[2]))
    if m := re.fullmatch(r"nm(\d+):(\d+)", key):
        return NOfM(int(m[1]), int(m[2]))
    return Unstructured()


def check_plan_matches(model: nn.Module, plan: dict) -> None:
    """The plan's layers must be the model's prunable matrices with the same shapes."""
    have = {l.name: l.shape for l in find_layers(model)}
    problems = []
    for l in plan["layers"]:
        if l["name"] not in have:
            problems.append(f"{l['name']} not in the model")
        elif tuple(have[l["name"]]) != (l["rows"], l["cols"]):
            problems.append(f"{l['name']}: plan {l['rows']}x{l['cols']}, model {have[l['name']][0]}x{have[l['name']][1]}")
    if problems:
        raise ValueError("the plan was made for another model: " + "; ".join(problems[:6]))


class PlanPruner:
    """Prune ``model`` gradually to ``plan``'s densities inside a user's training loop.

    Every ``frequency`` steps between ``start`` and ``end`` the target density of each layer follows the cubic
    schedule towards the plan's density; the weights kept are chosen by ``select``: ``"cs"`` (hard thresholding
    pursuit on the current masked weights (what the model computes) with a running Gram of each layer's inputs, then the least-squares refit
    of the kept weights is written back) or ``"magnitude"`` (the baseline).  ``calibration`` are inputs for the Gram.
    """

    def __init__(self, model: nn.Module, plan: dict, calibration: list | None = None, select: str = "cs",
                 start: int = 0, end: int = 1000, frequency: int = 50, gram_decay: float = 0.5):
        if select not in ("cs", "magnitude"):
            raise ValueError(f"select must be 'cs' or 'magnitude', got {select!r}")
        if select == "cs" and not calibration:
            raise ValueError("compressed-sensing selection needs calibration inputs for the layers' Gram matrices")
        if frequency < 1 or end < start:
            raise ValueError(f"need frequency >= 1 and end >= start (got frequency={frequency}, start={start}, end={end})")
        check_plan_matches(model, plan)
        self.model, self.plan, self.calibration = model, plan, calibration
        self.select, self.start, self.end, self.frequency, self.gram_decay = select, start, end, frequency, gram_decay
        self.layers = [l for l in plan["layers"]]
        self.names = [l["name"] for l in self.layers]
        self.step_count = 0
        self.grams: dict[str, torch.Tensor] = {}

    # --- torch.ao.pruning-style verbs ---------------------------------------------------------------------
    def prepare(self) -> "PlanPruner":
        """Attach an all-ones mask to every planned layer."""
        for l in self.layers:
            masking.attach(self.model, l["name"], torch.ones(l["rows"], l["cols"], dtype=torch.bool))
        return self

    def step(self) -> bool:
        """Advance one training step; returns True when masks were updated at this step."""
        self.step_count += 1
        t = self.step_count
        due = self.start <= t <= self.end and ((t - self.start) % self.frequency == 0 or t == self.end)
        if not due:
            return False
        self.update_masks(t)
        return True

    def squash_mask(self) -> None:
        """Bake the masks into the weights and remove the parametrisations."""
        masking.squash(self.model, self.names)

    # --- state -----------------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"step_count": self.step_count, "grams": {k: v.clone() for k, v in self.grams.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.step_count = int(state["step_count"])
        self.grams = {k: v.clone() for k, v in state["grams"].items()}

    def densities(self, t: int | None = None) -> dict[str, float]:
        t = self.step_count if t is None else t
        return {l["name"]: cubic_density(t, l["density"], self.start, self.end) for l in self.layers}

    def sparsity(self) -> float:
        """Current overall fraction of planned weights that are masked out."""
        total = kept = 0
        for name in self.names:
            m = masking.current_mask(self.model, name)
            total += m.numel()
            kept += int(m.sum())
        return 1.0 - kept / max(1, total)

    # --- selection ------------------------------------------------------------------------------------------
    @torch.no_grad()
    def _update_grams(self) -> None:
        probes = [Layer(n, masking.original(self.model, n).detach().reshape(l["rows"], -1).float())
                  for n, l in zip(self.names, self.layers)]
        was_training = self.model.training
        calibrate(self.model, probes, self.calibration)
        self.model.train(was_training)
        for p in probes:
            new = p.gram.float()
            old = self.grams.get(p.name)
            self.grams[p.name] = new if old is None else self.gram_decay * old + (1 - self.gram_decay) * new

    @torch.no_grad()
    def update_masks(self, t: int) -> None:
        if self.select == "cs":
            self._update_grams()
        targets = self.densities(t)
        for l in self.layers:
            name = l["name"]
            W = masking.original(self.model, name)
            current = masking.current_mask(self.model, name).reshape(l["rows"], l["cols"])
            # the function the model computes now: weights already pruned are zero, not their stale originals
            # (recovering the stale dense matrix would re-add compensation for weights training has moved past)
            W2 = W.detach().reshape(l["rows"], l["cols"]).float() * current
            structure = structure_from_key(l["structure"])
            final = l["format"] == "dense" or l["density"] >= 1.0
            if final:
                continue
            d = targets[name]
            nnz = l["nonzeros"] if t >= self.end else max(structure.granule(), structure.round_nnz(l["rows"], l["cols"], d))
            if d >= 1.0 and t < self.end:
                continue
            if isinstance(structure, NOfM) and t < self.end:
                structure = Unstructured()  # N:M is imposed at the end; before, prune unstructured to the density
            if self.select == "cs":
                rec = htp(W2, damped(self.grams[name].double()).float(), nnz, structure, start=W2)
                W.copy_(torch.where(rec.mask, rec.weights, W.detach().reshape(W2.shape)).reshape(W.shape))  # the refit
                mask = rec.mask
            else:
                mask = structure.project(W2.abs(), nnz)
            masking.attach(self.model, name, mask)


def masks_from_plan(masks: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    return {k: torch.from_numpy(np.asarray(v, bool)) for k, v in masks.items()}
