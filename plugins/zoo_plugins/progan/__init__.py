"""Progressive GAN: Karras, Aila, Laine, Lehtinen 2018, "Progressive Growing of GANs for Improved Quality,
Stability, and Variation" (arXiv:1710.10196). Registration only (no torch import).

The networks (pixel norm, equalized learning rate, minibatch standard deviation, growing by a level of
detail) are in .networks, built from zoo.nn (equalized layers, zoo.nn.progressive's fade-in and
schedule); the training rule (WGAN-GP with the drift term, the growing schedule with per-resolution
batch sizes and Adam resets, EMA of G) in .objective; the converters of the official TensorFlow pickles
and facebookresearch/pytorch_GAN_zoo's PGAN checkpoints in .convert.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, Converter, ObjectiveRecord, Paper

PAPER = Paper(title="Progressive Growing of GANs for Improved Quality, Stability, and Variation",
              authors="Karras, Aila, Laine, Lehtinen", year=2018, arxiv="1710.10196")

# The paper's networks and training (CelebA-HQ, App. A.1) scaled to 32 px digits on a shared CPU: z 512 ->
# 128, channels min(512 / res, 32) (min(16384 / res, 512) in the paper): 32 up to 16 px, 16 at 32 px; 4x4
# start, then per resolution `stabilize_kimg` thousand images before fading in the next over `fade_kimg`
# (800 and 800 in the paper, i.e. ~450 epochs of the 1,797 digits per phase; 10 and 6 here, so that the
# network reaches 32 px after 3,000 steps; progan.digits-32 was trained with 20 and 20: 10 and 6 were too
# short); batch 16 (the paper's up to 128 px; 14, 6, 3 above);
# Adam(0.001, 0, 0.99, 1e-8) reset at each phase; WGAN-GP λ 10, drift 0.001; minibatch std group 4;
# EMA 0.999.
DEFAULT_CONFIG = {
    "z_dim": 128, "resolution": 32, "channels": 1, "channel_base": 512, "channel_max": 32, "channel_list": None,
    "normalize_latents": True, "pixelnorm": True, "mbstd_group_size": 4, "mbstd_variant": "official",
    "fused_scale": True,
    "start_resolution": 4, "stabilize_kimg": 10.0, "fade_kimg": 6.0, "batch_size": 16,
    "batch_sizes": {"256": 14, "512": 6, "1024": 3}, "lr": 0.001, "beta1": 0.0, "beta2": 0.99, "adam_eps": 1e-8,
    "gp_lambda": 10.0, "drift": 0.001, "ema_decay": 0.999, "reset_optimizer": True,
}


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="progan",
        paper=PAPER,
        description="progressively grown GAN: from 4x4 with fade-in of new blocks, pixelwise feature "
                    "normalisation, equalized learning rate, minibatch standard deviation, WGAN-GP with drift",
        components={"generator": "zoo_plugins.progan.networks:ProGANGenerator",
                    "discriminator": "zoo_plugins.progan.networks:ProGANDiscriminator"},
        default_config=DEFAULT_CONFIG,
        test_config={"z_dim": 8, "resolution": 8, "channel_base": 32, "channel_max": 8},
        tasks=("generate", "interpolate", "project"),
        objective="progan",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="progan", builder="zoo_plugins.progan.objective:ProGANObjective",
        description="Karras 2018: WGAN-GP (λ 10) with drift 0.001, progressive growing with fade-in, "
                    "per-resolution batch sizes, Adam(0.001, betas 0, 0.99) reset per phase, EMA 0.999"))


@hookimpl
def register_converters(register):
    register(Converter(
        name="progan-tf", architecture="progan", builder="zoo_plugins.progan.convert:convert_tf",
        format="progan-tf",
        description="tkarras/progressive_growing_of_gans TensorFlow (G, D, Gs) pickles (e.g. "
                    "karras2018iclr-celebahq-1024x1024.pkl), read by the restricted unpickler without TensorFlow"))
    register(Converter(
        name="pgan-pytorch-gan-zoo", architecture="progan", builder="zoo_plugins.progan.convert:convert_gan_zoo",
        format="pgan-pytorch-gan-zoo",
        description="facebookresearch/pytorch_GAN_zoo PGAN .pth checkpoints (avgG, netG, netD, config), "
                    "read with weights_only=True"))
