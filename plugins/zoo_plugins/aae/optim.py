"""The AAE paper's learning-rate schedule (Makhzani et al. 2016, Appendix A): each phase's rate is
lowered by 10x later in training. Here: Adam whose rate drops by `decay` once a group has taken
`decay_after` updates. The count is Adam's own per-parameter step counter, which is saved in the
optimizer's state, so a resumed run keeps its place in the schedule.
"""
from __future__ import annotations

import dataclasses

import torch

from zoo.interfaces import OptimizerSpec


class StepDecayAdam(torch.optim.Adam):
    def __init__(self, params, *, decay_after: int, decay: float, **adam):
        super().__init__(params, **adam)
        for group in self.param_groups:
            group.setdefault("initial_lr", group["lr"])
            group["decay_after"], group["decay"] = int(decay_after), float(decay)

    def updates_taken(self, group: dict) -> int:
        for p in group["params"]:
            if "step" in self.state.get(p, {}):
                return int(self.state[p]["step"])
        return 0

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            late = group["decay_after"] > 0 and self.updates_taken(group) >= group["decay_after"]
            group["lr"] = group["initial_lr"] * (group["decay"] if late else 1.0)
        return super().step(closure)


@dataclasses.dataclass(frozen=True)
class StepDecayAdamSpec(OptimizerSpec):
    """OptimizerSpec for StepDecayAdam; decay_after=0 keeps the rate constant (plain Adam)."""

    decay_after: int = 0
    decay: float = 0.1

    def build(self, params) -> torch.optim.Optimizer:
        if self.name != "adam":
            raise ValueError(f"StepDecayAdamSpec builds Adam only, got {self.name!r}")
        return StepDecayAdam(params, lr=self.lr, betas=self.betas, eps=self.eps, weight_decay=self.weight_decay,
                             decay_after=self.decay_after, decay=self.decay)
