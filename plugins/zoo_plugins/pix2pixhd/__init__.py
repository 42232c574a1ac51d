"""pix2pixHD: Wang, Liu, Zhu, Tao, Kautz, Catanzaro, "High-Resolution Image Synthesis and Semantic
Manipulation with Conditional GANs", CVPR 2018, arXiv:1711.11585. Registration only (no torch import).

A label map in, a picture out: the global generator and the local enhancer, the instance-boundary input,
a multi-scale PatchGAN, LSGAN with feature matching and a VGG loss, and a converter of the authors'
`label2city` generator checkpoint.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, Converter, ObjectiveRecord, Paper

PAPER = Paper(title="High-Resolution Image Synthesis and Semantic Manipulation with Conditional GANs",
              authors="Wang, Liu, Zhu, Tao, Kautz, Catanzaro", year=2018, arxiv="1711.11585")
NETWORKS = "zoo_plugins.pix2pixhd.networks"


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="pix2pixhd",
        paper=PAPER,
        description="coarse-to-fine residual generator (global generator, optional local enhancers) from a "
                    "label map, 3-scale PatchGAN, LSGAN + feature matching + VGG losses",
        components={"generator": f"{NETWORKS}:Pix2PixHDGenerator",
                    "discriminator": f"{NETWORKS}:Pix2PixHDDiscriminator"},
        # The paper's G1 has ngf 64, 4 downsamplings and 9 blocks at 1024x512 (the local enhancer ngf 32);
        # D width 64. These defaults are the 64 px CPU scale (3 downsamplings to 8x8, ngf 12).
        default_config={"num_classes": 7, "resolution": 64, "ngf": 12, "n_downsampling": 3, "n_blocks": 9,
                        "local_enhancers": 0, "local_blocks": 3, "aspect_ratio": 1.0, "instance_edges": False,
                        "d_width": 16, "d_layers": 3, "num_scales": 3, "lambda_feat": 10.0, "lambda_vgg": 10.0,
                        "vgg": "vgg19", "lr": 2e-4, "beta1": 0.5, "beta2": 0.999, "lr_decay_start": 0,
                        "lr_decay_end": 0},
        test_config={"resolution": 32, "ngf": 2, "n_blocks": 1, "d_width": 4, "vgg": "none"},
        tasks=("synthesize",),
        objective="pix2pixhd",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="pix2pixhd", builder="zoo_plugins.pix2pixhd.objective:Pix2PixHDObjective",
        description="Wang 2018: LSGAN summed over D scales, feature matching (10, layers 4/(n+1), scales "
                    "1/k), VGG (10); Adam(2e-4, 0.5, 0.999), linear decay"))


@hookimpl
def register_converters(register):
    register(Converter(
        name="pix2pixhd-nvidia", architecture="pix2pixhd", builder="zoo_plugins.pix2pixhd.converters:convert",
        format="pix2pixhd-nvidia",
        description="NVIDIA/pix2pixHD latest_net_G.pth (GlobalGenerator or LocalEnhancer, e.g. label2city_1024p), "
                    "key for key"))
