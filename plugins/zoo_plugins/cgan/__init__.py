"""Conditional GAN: Mirza & Osindero 2014, "Conditional Generative Adversarial Nets" (arXiv:1411.1784).
Registration only (no torch import).

Both networks see the condition y (Sec. 3.2): min_G max_D E[log D(x|y)] + E[log(1 − D(G(z|y)|y))]. The
paper's MNIST networks are MLPs; here they are DCGAN-style convolutional networks with y injected as in
IcGAN (Perarnau 2016, Sec. 4.2): concatenated with z at G's input and, in D, after its first convolution
(`d_condition_layer=1`: early insertion, which IcGAN's comparison of positions favours — we could not
check its exact wording offline, so the position is configurable; 0 puts y at D's input). The networks live in
zoo.nn.conditional_dcgan because the `icgan` plugin uses them too.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, ObjectiveRecord, Paper

PAPER = Paper(title="Conditional Generative Adversarial Nets", authors="Mirza, Osindero", year=2014,
              arxiv="1411.1784")


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="cgan",
        paper=PAPER,
        description="class-conditional DCGAN-style GAN: y concatenated with z in G and after D's first "
                    "convolution; samples a chosen digit",
        components={"generator": "zoo.nn.conditional_dcgan:ConditionalDCGANGenerator",
                    "discriminator": "zoo.nn.conditional_dcgan:ConditionalDCGANDiscriminator"},
        # 100-d z (Sec. 4.1 uses 100-d uniform noise; N(0, I) here, as IcGAN's E_z regresses it);
        # Adam(2e-4, beta1=0.5) as DCGAN, whose layers these are.
        default_config={"latent_dim": 100, "resolution": 32, "channels": 1, "g_width": 32, "d_width": 32,
                        "kernel_size": 4, "condition": "class", "num_classes": 10, "num_attributes": 4,
                        "d_condition_layer": 1, "generator_loss": "nonsaturating", "d_steps": 1,
                        "optimizer": "adam", "lr": 2e-4, "beta1": 0.5, "beta2": 0.999},
        test_config={"resolution": 16, "g_width": 8, "d_width": 8, "latent_dim": 8},
        tasks=("generate", "interpolate"),
        objective="cgan",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="cgan", builder="zoo.objectives:ConditionalAdversarialObjective",
        description="Mirza 2014: the GAN game with y given to both networks (real and generated images share "
                    "the batch's labels), non-saturating G loss, Adam(2e-4, beta1=0.5)"))
