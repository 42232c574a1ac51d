"""VAE-GAN: Larsen, Sønderby, Larochelle & Winther 2016, "Autoencoding beyond pixels using a learned
similarity metric" (ICML 2016, arXiv:1512.09300).

Registration only (no torch import): networks in .networks, Algorithm 1 in .objective.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, ObjectiveRecord, Paper

PAPER = Paper(title="Autoencoding beyond pixels using a learned similarity metric",
              authors="Larsen, Sønderby, Larochelle, Winther", year=2016, arxiv="1512.09300")


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="vaegan",
        paper=PAPER,
        description="VAE whose reconstruction error is measured in a GAN discriminator's features; "
                    "decoder and generator are one network",
        components={"encoder": "zoo_plugins.vaegan.networks:VAEGANEncoder",
                    "generator": "zoo_plugins.vaegan.networks:VAEGANDecoder",
                    "discriminator": "zoo_plugins.vaegan.networks:VAEGANDiscriminator"},
        # Sec. 4: RMSProp, lr 3e-4, batch 64; Dis_l is the fourth convolution (the authors' code).
        # `width` scales the paper's channel counts (64 there; 16 here for 32 px digits and < 3 MB).
        default_config={"latent_dim": 16, "resolution": 32, "channels": 1, "width": 16,
                        "gamma": 1e-2, "llike_layer": 4, "generator_loss": "minimax",
                        "optimizer": "rmsprop", "lr": 3e-4, "d_lr": None},
        test_config={"resolution": 8, "width": 4, "latent_dim": 4, "llike_layer": 2},
        tasks=("generate", "encode", "reconstruct", "interpolate", "edit"),
        objective="vaegan",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="vaegan", builder="zoo_plugins.vaegan.objective:VAEGANObjective",
        description="Larsen 2016 Algorithm 1: one forward pass; Enc <- L_prior + L_llike, "
                    "Dec <- gamma*L_llike - L_GAN, Dis <- L_GAN"))
