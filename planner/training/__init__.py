"""The torch stage: apply a plan to a model, prune gradually with compressed-sensing selection, fine-tune, export.

Training-side API in the shape of ``torch.ao.pruning``: ``PlanPruner(model, plan).prepare()``, then
``pruner.step()`` once per training step inside the user's own loop, then ``pruner.squash_mask()``.
"""
from .pruner import PlanPruner
from .schedule import cubic_density

__all__ = ["PlanPruner", "cubic_density"]
