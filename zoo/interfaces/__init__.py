"""The interfaces every paper implements, by job:

- specs: LatentSpec (and its LatentPart / WSpaceSpec), ConditionSpec, OutputSpec and the shape checks;
- components: Generator, Encoder, Discriminator (and DiscriminatorOutput), Posterior;
- training: Objective, UpdateGroup, Phase, OptimizerSpec, EMASpec, PhaseLosses.

`from zoo.interfaces import Generator` keeps working for every name.
"""
from zoo.interfaces.components import (Component, Discriminator, DiscriminatorOutput, Encoder, Generator, Posterior,
                                       discriminator_outputs)
from zoo.interfaces.specs import (CONDITION_KINDS, LATENT_PRIORS, ConditionSpec, LatentPart, LatentSpec, OutputSpec,
                                  WSpaceSpec, check_condition, check_shape, truncated_normal)
from zoo.interfaces.training import EMASpec, Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup

__all__ = ["CONDITION_KINDS", "LATENT_PRIORS", "Component", "ConditionSpec", "Discriminator", "DiscriminatorOutput",
           "EMASpec", "Encoder", "Generator", "LatentPart", "LatentSpec", "Objective", "OptimizerSpec", "OutputSpec",
           "Phase", "PhaseLosses", "Posterior", "UpdateGroup", "WSpaceSpec", "check_condition", "check_shape",
           "discriminator_outputs", "truncated_normal"]
