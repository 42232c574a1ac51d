"""pix2pix: Isola, Zhu, Zhou, Efros 2017, "Image-to-Image Translation with Conditional Adversarial
Networks" (CVPR 2017, arXiv:1611.07004). Registration only (no torch import): the networks are in
.networks, the training rule in .objective, the paired domains in .pairs, the official checkpoints'
reader in .converters.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, Converter, ObjectiveRecord, Paper

PAPER = Paper(title="Image-to-Image Translation with Conditional Adversarial Networks",
              authors="Isola, Zhu, Zhou, Efros", year=2017, arxiv="1611.07004")


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="pix2pix",
        paper=PAPER,
        description="paired image-to-image translation: a U-Net generator with skips and test-time dropout, "
                    "a 70x70 PatchGAN judging (input, output), cGAN + 100·L1",
        components={"generator": "zoo_plugins.pix2pix.networks:UNetGenerator",
                    "discriminator": "zoo_plugins.pix2pix.networks:ConditionalPatchDiscriminator"},
        # the paper's 256-px U-Net (8 levels), batch norm, dropout 0.5 kept at test time, 70x70 PatchGAN
        # (3 strided layers), λ = 100, Adam(2e-4, β1 = 0.5); decay_start/decay_end in steps (0: constant lr)
        default_config={"resolution": 256, "in_channels": 3, "out_channels": 3, "width": 64, "num_downs": 8,
                        "norm": "batch", "dropout": 0.5, "test_dropout": True, "test_statistics": "sample", "d_width": 64, "d_layers": 3,
                        "d_norm": "batch", "conditional": True, "l1_weight": 100.0, "gan_weight": 1.0,
                        "gan_loss": "vanilla", "lr": 2e-4, "beta1": 0.5, "beta2": 0.999, "decay_start": 0,
                        "decay_end": 0, "pairing": "labels2renders"},
        test_config={"resolution": 32, "num_downs": 5, "width": 4, "d_width": 4},
        tasks=("translate",),
        objective="pix2pix",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="pix2pix", builder="zoo_plugins.pix2pix.objective:Pix2PixObjective",
        description="Isola 2017: cGAN (D halved, non-saturating G) + 100·L1, one D then one G step on the "
                    "same batch, Adam(2e-4, β1 = 0.5), constant then linearly decaying lr; gan_weight=0 is "
                    "the L1-only baseline"))


@hookimpl
def register_converters(register):
    register(Converter(
        name="pix2pix-unet-pth", architecture="pix2pix", format="pix2pix-unet-pth", builder="zoo_plugins.pix2pix.converters:convert",
        description="the authors' released pix2pix U-Net generators (junyanz/pytorch-CycleGAN-and-pix2pix unet_256 .pth: nested model.model.1.model.3... keys; stale instance-norm statistics dropped)"))
