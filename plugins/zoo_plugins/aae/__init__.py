"""AAE: Makhzani, Shlens, Jaitly, Goodfellow & Frey 2016, "Adversarial Autoencoders" (arXiv:1511.05644).

Registration only (no torch import): priors in .priors, networks in .networks, the two-phase training
rule in .objective, the "are the codes distinguishable from the prior?" measurement in zoo.latent.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, ObjectiveRecord, Paper

PAPER = Paper(title="Adversarial Autoencoders", authors="Makhzani, Shlens, Jaitly, Goodfellow, Frey",
              year=2016, arxiv="1511.05644")


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="aae",
        paper=PAPER,
        description="autoencoder whose aggregated posterior is matched to a prior (Gaussian, mixture of "
                    "10 Gaussians, Swiss roll) by a discriminator on the latent code",
        components={"encoder": "zoo_plugins.aae.networks:AAEEncoder",
                    "generator": "zoo_plugins.aae.networks:AAEDecoder",
                    "discriminator": "zoo_plugins.aae.networks:LatentDiscriminator"},
        # Appendix A (MNIST): encoder, decoder and discriminator are MLPs of two ReLU layers (1000 units),
        # an 8-d code with a Gaussian prior; 192/128 units here keep the shipped weights under 3 MB.
        # noise_dim (the universal approximator posterior's η) is not given in the paper; lr_decay_step=0
        # keeps the rates constant, the shipped sets drop them late in training as the paper does.
        default_config={"latent_dim": 8, "resolution": 32, "channels": 1, "hidden": 192, "d_hidden": 128,
                        "prior": "gaussian", "posterior": "deterministic", "reconstruction": "bernoulli",
                        "generator_loss": "nonsaturating", "lr": 3e-4, "d_lr": 3e-4, "beta1": 0.5,
                        "beta2": 0.999, "d_steps": 1, "noise_dim": 8, "lr_decay_step": 0, "lr_decay": 0.1},
        test_config={"resolution": 8, "hidden": 16, "d_hidden": 16, "latent_dim": 2},
        tasks=("generate", "encode", "reconstruct", "interpolate", "edit"),
        objective="aae",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="aae", builder="zoo_plugins.aae.objective:AdversarialAutoencoderObjective",
        description="Makhzani 2016: a reconstruction phase (encoder + decoder), then a regularisation phase "
                    "(the latent discriminator, then the encoder as its generator)"))
