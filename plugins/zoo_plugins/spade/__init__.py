"""SPADE (GauGAN): Park, Liu, Wang, Zhu, "Semantic Image Synthesis with Spatially-Adaptive Normalization",
CVPR 2019, arXiv:1903.07291. Registration only (no torch import).

A label map in, a picture out: spatially-adaptive normalisation (zoo_plugins.spade.networks), the hinge
game with a multi-scale PatchGAN, feature matching and a VGG loss (zoo_plugins.spade.objective), the VAE
style encoder for multi-modal and style-guided synthesis, and converters of the authors' checkpoints
(zoo_plugins.spade.converters).
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, Converter, ObjectiveRecord, Paper

PAPER = Paper(title="Semantic Image Synthesis with Spatially-Adaptive Normalization",
              authors="Park, Liu, Wang, Zhu", year=2019, arxiv="1903.07291")
NETWORKS = "zoo_plugins.spade.networks"


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="spade",
        paper=PAPER,
        description="GauGAN: SPADE residual generator from a label map (optionally a VAE style code), "
                    "multi-scale PatchGAN, hinge + feature matching + VGG losses",
        components={"generator": f"{NETWORKS}:SPADEGenerator", "discriminator": f"{NETWORKS}:SPADEDiscriminator",
                    "encoder": f"{NETWORKS}:StyleEncoder"},
        # The paper's 256 px networks start at 16·64 channels with γ/β hidden layers of 128, z of 256 and
        # D width 64; these defaults are the 64 px CPU scale (width 16, hidden 32: the paper's 2:1 ratio).
        default_config={"num_classes": 7, "resolution": 64, "width": 16, "spade_hidden": 32, "use_vae": True,
                        "z_dim": 64, "num_upsampling_layers": "normal", "aspect_ratio": 1.0,
                        "instance_edges": False, "spectral_norm": True, "encoder_width": 16,
                        "d_width": 32, "d_layers": 4, "num_scales": 2,
                        "lambda_feat": 10.0, "lambda_vgg": 10.0, "lambda_kld": 0.05, "vgg": "vgg19",
                        "lr": 2e-4, "beta1": 0.0, "beta2": 0.9, "ttur": True, "lr_decay_start": 0,
                        "lr_decay_end": 0},
        test_config={"resolution": 32, "width": 2, "spade_hidden": 4, "z_dim": 8, "encoder_width": 2,
                     "d_width": 4, "vgg": "none"},
        tasks=("synthesize",),
        objective="spade",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="spade", builder="zoo_plugins.spade.objective:SPADEObjective",
        description="Park 2019: hinge averaged over D scales, feature matching (10), VGG (10), KL (0.05) with "
                    "the style encoder; TTUR G 1e-4 / D 4e-4, Adam(0, 0.9), linear decay"))


@hookimpl
def register_converters(register):
    register(Converter(
        name="spade-nvlabs", architecture="spade", builder="zoo_plugins.spade.converters:convert",
        format="spade-nvlabs",
        description="NVlabs/SPADE latest_net_G.pth (ADE20K 151, COCO-Stuff 184, Cityscapes 36 label channels): "
                    "spectral norm's weight_orig/u/v and the synchronized batch norms' statistics, key for key"))
