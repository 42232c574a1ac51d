"""IcGAN: Perarnau, van de Weijer, Raducanu & Álvarez 2016, "Invertible Conditional GANs for image editing"
(arXiv:1611.06355). Registration only (no torch import).

A conditional GAN (zoo.nn.conditional_dcgan: y with z at G's input, y after D's first convolution, an
early insertion as the paper favours; configurable) whose y is the digit's one-hot class followed by its four measured attributes
(thickness, slant, width, height; zoo.data.digits), plus two independent encoders (the paper's IND variant,
one of the three it compares): E_z, trained on generated samples, and E_y, trained on real labelled digits (.objective).
Editing (.tasks): encode a real digit to (z, y), change y, decode.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, ObjectiveRecord, Paper

PAPER = Paper(title="Invertible Conditional GANs for image editing",
              authors="Perarnau, van de Weijer, Raducanu, Álvarez", year=2016, arxiv="1611.06355")


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="icgan",
        paper=PAPER,
        description="invertible conditional GAN: a cGAN on [class, attributes] plus encoders E_z and E_y; "
                    "edit a real digit's class, thickness, slant, width or height",
        components={"generator": "zoo.nn.conditional_dcgan:ConditionalDCGANGenerator",
                    "discriminator": "zoo.nn.conditional_dcgan:ConditionalDCGANDiscriminator",
                    "encoder_z": "zoo_plugins.icgan.networks:IcGANEncoder",
                    "encoder_y": "zoo_plugins.icgan.networks:IcGANEncoder"},
        # 100-d z and Adam(2e-4, beta1=0.5) as the paper (Sec. 4.1, after DCGAN); widths for the 32 px digits.
        default_config={"latent_dim": 100, "resolution": 32, "channels": 1, "g_width": 32, "d_width": 32,
                        "e_width": 32, "kernel_size": 4, "condition": "class+attributes", "num_classes": 10,
                        "num_attributes": 4, "d_condition_layer": 1, "generator_loss": "nonsaturating",
                        "d_steps": 1, "optimizer": "adam", "lr": 2e-4, "beta1": 0.5, "beta2": 0.999,
                        "gan_steps": 4000, "encoder_lr": 2e-4,
                        "encoder_z": {"target": "z"}, "encoder_y": {"target": "y"}},
        test_config={"resolution": 16, "g_width": 8, "d_width": 8, "e_width": 8, "latent_dim": 8},
        tasks=("generate", "zoo_plugins.icgan.tasks:IcGANTask"),
        objective="icgan",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="icgan", builder="zoo_plugins.icgan.objective:IcGANObjective",
        description="Perarnau 2016: the cGAN game for gan_steps steps, then E_z on generated samples "
                    "(||z - E_z(G(z, y'))||^2) and E_y on real labelled images (||y - E_y(x)||^2)"))
