"""InfoGAN: Chen, Duan, Houthooft, Schulman, Sutskever, Abbeel 2016, "InfoGAN: Interpretable
Representation Learning by Information Maximizing Generative Adversarial Nets" (arXiv:1606.03657).
Registration only (no torch import); networks in .networks, the training rule in .objective, latent
traversals (a task of this plugin's own) in .traverse, `zoo traverse` in .commands, the measures of
the codes (Hungarian-matched accuracy, NMI, correlations) in .codes.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, ObjectiveRecord, Paper

PAPER = Paper(title="InfoGAN: Interpretable Representation Learning by Information Maximizing Generative "
                    "Adversarial Nets",
              authors="Chen, Duan, Houthooft, Schulman, Sutskever, Abbeel", year=2016, arxiv="1606.03657")


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="infogan",
        paper=PAPER,
        description="GAN whose structured latent (62 noise, a 10-way categorical and 2 continuous codes) is "
                    "made interpretable by maximising a lower bound of I(c; G(z, c)) with a Q head on D",
        components={"generator": "zoo_plugins.infogan.networks:InfoGANGenerator",
                    "discriminator": "zoo_plugins.infogan.networks:InfoGANDiscriminator"},
        # App. C, Table 1 (MNIST): widths 64/128, FC 1024, Q's FC 128; λ = 1; Adam 2e-4 (D), 1e-3 (G).
        default_config={"noise_dim": 62, "categories": 10, "continuous": 2, "resolution": 32, "channels": 1,
                        "width": 64, "hidden": 1024, "q_hidden": 128, "fixed_std": False,
                        "info_weight": 1.0, "lr": 1e-3, "d_lr": 2e-4, "beta1": 0.5, "beta2": 0.999,
                        "generator_loss": "nonsaturating", "d_batches": "joint"},
        test_config={"resolution": 8, "width": 4, "hidden": 16, "q_hidden": 8, "noise_dim": 4},
        tasks=("generate", "zoo_plugins.infogan.traverse:TraverseTask"),
        objective="infogan",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="infogan", builder="zoo_plugins.infogan.objective:InfoGANObjective",
        description="Chen 2016: the GAN game minus λ·L_I (categorical + factored-Gaussian codes), Q on D's "
                    "trunk, λ = 1, Adam 2e-4 (D) / 1e-3 (G)"))


@hookimpl
def register_commands(cli):
    from zoo_plugins.infogan.commands import add_traverse_command

    add_traverse_command(cli)
