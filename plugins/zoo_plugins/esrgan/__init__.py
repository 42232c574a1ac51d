"""ESRGAN: Wang et al. 2018, "ESRGAN: Enhanced Super-Resolution Generative Adversarial Networks"
(arXiv:1809.00219), with the networks Real-ESRGAN (Wang et al. 2021, arXiv:2107.10833) runs — RRDBNet
×4plus / ×2plus (pixel-unshuffle) / anime_6B, and SRVGGNetCompact — as configurations of its generator
(`network=rrdb|srvgg`), so that the authors' files load. Registration only (no torch import).

.networks: the generators; .discriminator: the VGG-style discriminator; .objective: the PSNR-oriented
stage (L1) and the GAN stage (relativistic average D, perceptual loss before activation, L1);
.interpolation: the network-interpolation task; .convert: the official files' converter.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, Converter, ObjectiveRecord, Paper

PAPER = Paper(title="ESRGAN: Enhanced Super-Resolution Generative Adversarial Networks",
              authors="Wang, Yu, Wu, Gu, Liu, Dong, Loy, Qiao, Tang", year=2018, arxiv="1809.00219")

# The paper: 23 RRDBs, nf 64, gc 32, ×4, 128 px HR crops, batch 16; PSNR stage L1 with Adam(2e-4,
# β = (0.9, 0.999)) halved every 2e5 steps; GAN stage from it: L_G = L_percep + λ L_G^Ra + η L1 with
# λ = 5e-3, η = 1e-2, lr 1e-4 halved at 50k, 100k, 200k, 300k.
DEFAULT_CONFIG = {
    "network": "rrdb", "channels": 3, "nf": 64, "nb": 23, "gc": 32, "scale": 4, "num_conv": 16, "act": "prelu",
    "resolution": 128, "d_width": 64,
    "stage": "psnr", "lr": 2e-4, "beta1": 0.9, "beta2": 0.999, "lr_milestones": [200_000, 400_000, 600_000, 800_000],
    "lr_factor": 0.5, "l1_weight": 1e-2, "adversarial_weight": 5e-3, "perceptual_weight": 1.0,
    "perceptual_layer": "conv5_4", "feature_network": "vgg19", "augment": True,
}


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="esrgan",
        paper=PAPER,
        description="RRDB generator (no BN, residual scaling 0.2), relativistic average VGG-style D, perceptual "
                    "loss before activation; PSNR stage then GAN stage; loads ESRGAN / BasicSR / Real-ESRGAN files",
        components={"generator": "zoo_plugins.esrgan.networks:build_generator",
                    "discriminator": "zoo_plugins.esrgan.discriminator:VGGStyleDiscriminator"},
        default_config=DEFAULT_CONFIG,
        test_config={"nf": 8, "nb": 1, "gc": 4, "resolution": 32, "d_width": 4, "feature_network": "random-vgg19"},
        tasks=("upscale", "zoo_plugins.esrgan.interpolation:InterpolationTask"),
        objective="esrgan",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="esrgan", builder="zoo_plugins.esrgan.objective:ESRGANObjective",
        description="Wang 2018: stage=psnr: L1, Adam(2e-4, β=(0.9, 0.999)); stage=gan: VGG conv5_4 (before "
                    "activation) L1 + 5e-3 relativistic average adversarial + 1e-2 L1, Adam(1e-4)"))


@hookimpl
def register_converters(register):
    register(Converter(
        name="esrgan", architecture="esrgan", builder="zoo_plugins.esrgan.convert:convert", format="esrgan",
        description="ESRGAN (RRDB_ESRGAN_x4.pth, both key layouts), BasicSR (params / params_ema) and "
                    "Real-ESRGAN (x4plus, x2plus, anime_6B, SRVGGNetCompact) .pth files"))
