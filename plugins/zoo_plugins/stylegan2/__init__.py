"""StyleGAN2: Karras, Laine, Aittala, Hellsten, Lehtinen, Aila 2020, "Analyzing and Improving the Image
Quality of StyleGAN" (arXiv:1912.04958). Registration only (no torch import).

The networks (config F: skip generator, residual discriminator) are in .networks, built from the shared
blocks of zoo.nn (equalized layers, modulated convolution, FIR resampling, minibatch std, noise); the
training rule (non-saturating loss, lazy R1, path-length regularisation, style mixing, EMA ramp-up) in
.objective; interpolation in W in .tasks.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, Converter, ObjectiveRecord, Paper

PAPER = Paper(title="Analyzing and Improving the Image Quality of StyleGAN",
              authors="Karras, Laine, Aittala, Hellsten, Lehtinen, Aila", year=2020, arxiv="1912.04958")

# Config F scaled down to 32 px digits: the paper's 8-layer mapping network (lr x0.01) at 128-d z and w
# (512 in the paper), channels min(512 / res, 128) (32768 / res capped at 512 in the paper): 4 px 128,
# 8 px 64, 16 px 32, 32 px 16, so that a step takes ~0.6 s on this shared CPU; batch 32. Training: lr 0.0025 and betas (0, 0.99) as StyleGAN2-ADA's configs at
# this size; R1 gamma 0.05 every 16 steps (ADA's heuristic 0.0002 res^2 / batch gives 0.0064; the paper's
# 10 is for 1024 px); path length weight 2 every 4 steps; style mixing 0.9; EMA half-life 10 kimg with
# ramp-up 0.05 (ADA: batch / 32 * 10 kimg).
DEFAULT_CONFIG = {
    "z_dim": 128, "w_dim": 128, "resolution": 32, "channels": 1, "mapping_layers": 8,
    "mapping_lr_multiplier": 0.01, "channel_base": 512, "channel_max": 128, "w_avg_beta": 0.995,
    "conv_clamp": None, "mbstd_group_size": 4, "mbstd_num_channels": 1,
    "lr": 0.0025, "beta1": 0.0, "beta2": 0.99, "r1_gamma": 0.05, "r1_interval": 16, "pl_weight": 2.0,
    "pl_interval": 4, "pl_decay": 0.01, "pl_batch_shrink": 2, "style_mixing_prob": 0.9, "ema_kimg": 10.0,
    "ema_rampup": 0.05, "ada": False, "ada_target": 0.6, "ada_kimg": 100.0, "ada_interval": 4,
}


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="stylegan2",
        paper=PAPER,
        description="style-based GAN with weight demodulation: mapping network, modulated convolutions with "
                    "noise, skip generator, residual discriminator, lazy R1, path-length regularisation, "
                    "style mixing, truncation in W",
        components={"generator": "zoo_plugins.stylegan2.networks:StyleGAN2Generator",
                    "discriminator": "zoo_plugins.stylegan2.networks:StyleGAN2Discriminator"},
        default_config=DEFAULT_CONFIG,
        test_config={"z_dim": 8, "w_dim": 8, "resolution": 8, "mapping_layers": 2, "channel_base": 32,
                     "channel_max": 8},
        # the plugin's mixin first, so that its interpolate (space="w") wraps the built-in one
        tasks=("zoo_plugins.stylegan2.tasks:StyleGAN2Tasks", "generate", "interpolate", "mix_styles", "project"),
        objective="stylegan2",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="stylegan2", builder="zoo_plugins.stylegan2.objective:StyleGAN2Objective",
        description="Karras 2020: non-saturating loss, lazy R1 (every 16 steps), path-length regularisation "
                    "(every 4), style mixing 0.9, Adam(betas 0, 0.99), EMA of G with ramp-up"))


@hookimpl
def register_converters(register):
    register(Converter(
        name="stylegan2-ada-pytorch", architecture="stylegan2", builder="zoo_plugins.stylegan2.convert:convert_sg2ada",
        format="stylegan2-ada-pytorch",
        description="NVlabs stylegan2-ada-pytorch network pickles (G_ema and D; unconditional, skip G, resnet D), "
                    "read by the restricted unpickler"))
    register(Converter(
        name="stylegan2-rosinality", architecture="stylegan2", builder="zoo_plugins.stylegan2.convert:convert_rosinality",
        format="stylegan2-rosinality",
        description="rosinality/stylegan2-pytorch .pt checkpoints (g_ema, latent_avg), read with weights_only=True"))
    register(Converter(
        name="stylegan2-tf", architecture="stylegan2", builder="zoo_plugins.stylegan2.convert:convert_tf",
        format="stylegan2-tf",
        description="NVlabs/stylegan2 TensorFlow-era (G, D, Gs) pickles, config F (e.g. stylegan2-ffhq-config-f.pkl), "
                    "read by the restricted unpickler without TensorFlow"))
