"""StyleGAN: Karras, Laine, Aila 2019, "A Style-Based Generator Architecture for Generative Adversarial
Networks" (arXiv:1812.04948). Registration only (no torch import).

The networks (mapping network, learned constant, AdaIN, per-channel noise, blur, ProGAN's discriminator,
growing by a level of detail) are in .networks, built from zoo.nn (equalized layers, zoo.nn.adain,
zoo.nn.progressive); the training rule (non-saturating loss with R1, progressive growing with per-resolution
batch sizes and learning rates, style mixing, EMA of G) in .objective; the converter of NVIDIA's TensorFlow
pickles in .convert. Tasks: generate (ψ and cutoff), mix_styles, interpolate in Z and in W, project (zoo.tasks).
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, Converter, ObjectiveRecord, Paper

PAPER = Paper(title="A Style-Based Generator Architecture for Generative Adversarial Networks",
              authors="Karras, Laine, Aila", year=2019, arxiv="1812.04948")

# The paper's FFHQ setup (App. C and the official train.py) scaled to 32 px digits on a shared CPU: z and w
# 512 -> 128; channels min(512 / res, 32) (min(16384 / res, 512) in the paper); growing from 8 px (the
# paper's lod_initial_resolution), `stabilize_kimg` and `fade_kimg` thousand images per phase (600 and 600
# in the paper; 10 and 6 here, as progan.digits-32); batch 16; Adam(0.001, 0, 0.99, 1e-8) reset per phase
# (the paper raises the lr to 0.0015-0.003 from 128 px: `lrs`); R1 γ 10; style mixing 0.9; EMA half-life
# 10 kimg; truncation ψ 0.7 on the first 8 layers at generation time (the official Gs default).
DEFAULT_CONFIG = {
    "z_dim": 128, "w_dim": 128, "resolution": 32, "channels": 1, "mapping_layers": 8,
    "mapping_lr_multiplier": 0.01, "channel_base": 512, "channel_max": 32, "w_avg_beta": 0.995,
    "truncation_cutoff": 8, "blur": True, "mbstd_group_size": 4, "mbstd_num_channels": 1,
    "start_resolution": 8, "stabilize_kimg": 10.0, "fade_kimg": 6.0, "batch_size": 16, "batch_sizes": {},
    "lr": 0.001, "lrs": {"128": 0.0015, "256": 0.002, "512": 0.003, "1024": 0.003}, "beta1": 0.0, "beta2": 0.99,
    "adam_eps": 1e-8, "r1_gamma": 10.0, "style_mixing_prob": 0.9, "ema_kimg": 10.0, "reset_optimizer": True,
}


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="stylegan",
        paper=PAPER,
        description="style-based GAN: 8-layer mapping network (lr x0.01), learned constant input, AdaIN, "
                    "per-layer noise, blur, progressive growing, style mixing, truncation in W, "
                    "non-saturating loss with R1",
        components={"generator": "zoo_plugins.stylegan.networks:StyleGANGenerator",
                    "discriminator": "zoo_plugins.stylegan.networks:StyleGANDiscriminator"},
        default_config=DEFAULT_CONFIG,
        test_config={"z_dim": 8, "w_dim": 8, "resolution": 8, "mapping_layers": 2, "channel_base": 32,
                     "channel_max": 8, "start_resolution": 4},
        # the W-space interpolation first, so that its interpolate (space="w") wraps the built-in one
        tasks=("zoo.tasks.styles:WInterpolateTask", "generate", "interpolate", "mix_styles", "project"),
        objective="stylegan",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="stylegan", builder="zoo_plugins.stylegan.objective:StyleGANObjective",
        description="Karras 2019: non-saturating logistic loss with R1 (γ 10), progressive growing with fade-in, "
                    "per-resolution batch sizes and learning rates, Adam(0.001, betas 0, 0.99) reset per phase, "
                    "style mixing 0.9, EMA half-life 10 kimg"))


@hookimpl
def register_converters(register):
    register(Converter(
        name="stylegan-tf", architecture="stylegan", builder="zoo_plugins.stylegan.convert:convert_tf",
        format="stylegan-tf",
        description="NVlabs/stylegan TensorFlow (G, D, Gs) pickles (e.g. karras2019stylegan-ffhq-1024x1024.pkl): "
                    "G_style's mapping and synthesis components and D_basic, read by the restricted unpickler "
                    "without TensorFlow"))
