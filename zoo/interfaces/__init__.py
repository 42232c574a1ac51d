"""The interfaces every paper implements, by job:

- specs: LatentSpec, ConditionSpec, OutputSpec and the shape checks;
- components: Generator, Encoder, Discriminator, Posterior;
- training: Objective, UpdateGroup, Phase, OptimizerSpec, EMASpec, PhaseLosses.

`from zoo.interfaces import Generator` keeps working for every name.
"""
from zoo.interfaces.components import Component, Discriminator, Encoder, Generator, Posterior
from zoo.interfaces.specs import (CONDITION_KINDS, ConditionSpec, LatentSpec, OutputSpec, check_condition,
                                  check_shape)
from zoo.interfaces.training import EMASpec, Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup

__all__ = ["CONDITION_KINDS", "Component", "ConditionSpec", "Discriminator", "EMASpec", "Encoder", "Generator",
           "LatentSpec", "Objective", "OptimizerSpec", "OutputSpec", "Phase", "PhaseLosses", "Posterior",
           "UpdateGroup", "check_condition", "check_shape"]
