"""BigGAN: Brock, Donahue, Simonyan 2019, "Large Scale GAN Training for High Fidelity Natural Image
Synthesis" (arXiv:1809.11096), with BigGAN-deep as a configuration (`deep=True`). Registration only (no
torch import).

The networks are in zoo_plugins.biggan.networks, the training rule in .objective, the truncation and
interpolation tasks in .tasks, and the converter of pytorch-pretrained-biggan's BigGAN-deep files
(`pytorch_model.bin` + `config.json`) in .convert.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, Converter, ObjectiveRecord, Paper

PAPER = Paper(title="Large Scale GAN Training for High Fidelity Natural Image Synthesis",
              authors="Brock, Donahue, Simonyan", year=2019, arxiv="1809.11096")

# 32 px digits: three up-blocks 4->8->16->32 narrowing 64->64->32->16 channels (BigGAN-PyTorch's 32 px
# layout keeps 4*ch throughout; narrowed so that a step with two D steps takes ~0.4 s on one CPU core),
# attention before the last (16x16) G block and after D's first block; a 128-d z in 4 chunks of 32.
DEFAULT_CONFIG = {
    "latent_dim": 128, "num_classes": 10, "embed_dim": 128, "resolution": 32, "channels": 1,
    "g_width": 8, "g_blocks": [[1, 8, 8], [1, 8, 4], [1, 4, 2]], "attention_block": 2, "deep": False,
    "d_width": 8, "d_blocks": [[1, 2], [1, 4], [0, 8]], "d_attention_block": 1,
    "bottleneck": 4, "norm_stats": "batch", "n_stats": 51, "norm_eps": 1e-5, "sn_eps": 1e-8, "rgb_channels": None,
    "truncation_mode": "resample",
    "d_steps": 2, "lr": 2e-4, "d_lr": 2e-4, "beta1": 0.0, "beta2": 0.999, "orthogonal_beta": 1e-4,
    # the paper's EMA decay is 0.9999 over 10^5+ steps; 0.995 (a ~200-step horizon) from step 500 suits a
    # run of 1,500 steps
    "ema_decay": 0.995, "ema_start": 500,
}


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="biggan",
        paper=PAPER,
        description="class-conditional GAN: shared class embedding, hierarchical z into conditional BN, "
                    "residual blocks, self-attention, spectral norm, projection D, hinge loss, orthogonal "
                    "regularisation, truncation trick; deep=True gives BigGAN-deep (loads the official files)",
        components={"generator": "zoo_plugins.biggan.networks:BigGANGenerator",
                    "discriminator": "zoo_plugins.biggan.networks:BigGANDiscriminator"},
        default_config=DEFAULT_CONFIG,
        test_config={"g_width": 2, "d_width": 2, "latent_dim": 24, "embed_dim": 8, "resolution": 16,
                     "g_blocks": [[1, 8, 8], [1, 8, 8]], "attention_block": 1,
                     "d_blocks": [[1, 8], [1, 8], [0, 8]]},
        # the plugin's mixin first, so that its iter_generate (truncation) wraps GenerateTask's
        tasks=("zoo_plugins.biggan.tasks:BigGANTasks", "generate"),
        objective="biggan",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="biggan", builder="zoo_plugins.biggan.objective:BigGANObjective",
        description="Brock 2019: hinge loss, two D steps per G step, Adam(beta1=0, beta2=0.999), modified "
                    "orthogonal regularisation on G (beta 1e-4), EMA of G"))


@hookimpl
def register_converters(register):
    register(Converter(
        name="pytorch-pretrained-biggan", architecture="biggan",
        builder="zoo_plugins.biggan.convert:convert",
        format="pytorch-pretrained-biggan",
        description="BigGAN-deep 128/256/512 of the pytorch-pretrained-biggan port: pytorch_model.bin "
                    "(checkpoint) + config.json (config), per-truncation batch-norm statistics"))
