"""GAN: Goodfellow et al. 2014, "Generative Adversarial Nets" (arXiv:1406.2661).

Registration only (no torch import): the networks live in .networks, the objective is the core's
AdversarialObjective (Algorithm 1, with the minimax or the non-saturating generator loss).
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, ObjectiveRecord, Paper

PAPER = Paper(title="Generative Adversarial Nets", year=2014, arxiv="1406.2661",
              authors="Goodfellow, Pouget-Abadie, Mirza, Xu, Warde-Farley, Ozair, Courville, Bengio")


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="gan",
        paper=PAPER,
        description="MLP generator (ReLU, sigmoid output) against a maxout discriminator with dropout",
        components={"generator": "zoo_plugins.gan.networks:MLPGenerator",
                    "discriminator": "zoo_plugins.gan.networks:MaxoutDiscriminator"},
        # Sizes of the paper's MNIST model (its released pylearn2 configuration); SGD with momentum.
        default_config={"latent_dim": 100, "resolution": 28, "channels": 1, "hidden": 1200,
                         "d_hidden": 240, "pieces": 5, "input_dropout": 0.2, "hidden_dropout": 0.5,
                         "generator_loss": "nonsaturating", "d_steps": 1, "optimizer": "sgd",
                         "lr": 0.1, "momentum": 0.5, "beta1": 0.5, "beta2": 0.999},
        test_config={"resolution": 8, "hidden": 32, "d_hidden": 16, "pieces": 2},
        tasks=("generate", "interpolate"),
        objective="gan",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="gan", builder="zoo.objectives:AdversarialObjective",
        description="Goodfellow 2014 Algorithm 1: k discriminator steps per generator step; "
                    "minimax or non-saturating generator loss"))
