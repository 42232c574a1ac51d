"""DCGAN: Radford, Metz & Chintala 2016, "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks" (arXiv:1511.06434). Registration only; see .networks.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, ObjectiveRecord, Paper

PAPER = Paper(title="Unsupervised Representation Learning with Deep Convolutional Generative "
                    "Adversarial Networks", authors="Radford, Metz, Chintala", year=2016, arxiv="1511.06434")


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="dcgan",
        paper=PAPER,
        description="all-convolutional GAN: strided convolutions, batch norm, ReLU/LeakyReLU, tanh",
        components={"generator": "zoo_plugins.dcgan.networks:DCGANGenerator",
                    "discriminator": "zoo_plugins.dcgan.networks:DCGANDiscriminator"},
        # Section 4: 64x64 LSUN model (1024-512-256-128 generator), Adam(2e-4, beta1=0.5), batch 128.
        default_config={"latent_dim": 100, "resolution": 64, "channels": 3, "g_width": 128, "d_width": 64,
                        "kernel_size": 5, "generator_loss": "nonsaturating", "d_steps": 1,
                        "optimizer": "adam", "lr": 2e-4, "beta1": 0.5, "beta2": 0.999},
        test_config={"resolution": 16, "g_width": 8, "d_width": 8, "latent_dim": 8},
        tasks=("generate", "interpolate"),
        objective="dcgan",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="dcgan", builder="zoo.objectives:AdversarialObjective",
        description="Goodfellow 2014's game with the non-saturating generator loss, one D step per G step, "
                    "Adam(lr=2e-4, beta1=0.5) as in Radford 2016 Sec. 4"))
