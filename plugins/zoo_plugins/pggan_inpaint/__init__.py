"""PGGAN (patch-based inpainting): Demir & Unal 2018, "Patch-Based Image Inpainting with Generative
Adversarial Networks" (arXiv:1803.07422). Registration only (no torch import); the networks are in
.networks, the training rule in .objective, the ablation's measurements in .evaluate.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, ObjectiveRecord, Paper

PAPER = Paper(title="Patch-Based Image Inpainting with Generative Adversarial Networks",
              authors="Demir, Unal", year=2018, arxiv="1803.07422")


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="pggan-inpaint",
        paper=PAPER,
        description="inpainting: a ResNet generator with dilated residual blocks takes the masked image and "
                    "the mask; a discriminator with one trunk and two heads (global and PatchGAN)",
        components={"generator": "zoo_plugins.pggan_inpaint.networks:PGGANInpaintGenerator",
                    "discriminator": "zoo_plugins.pggan_inpaint.networks:PGGANDiscriminator"},
        # 256 px images, widths 64 (pix2pix's); λ_rec = 0.995, λ_g = λ_p = 0.0025; Adam(2e-4, β1 = 0.5).
        default_config={"resolution": 256, "channels": 3, "g_width": 64, "downsamplings": 2,
                        "dilations": [2, 4, 8, 16], "skips": True, "d_width": 64, "shared_layers": 2,
                        "heads": "both", "rec_weight": 0.995, "global_weight": 0.0025, "patch_weight": 0.0025,
                        "adversarial_weight": 1.0, "lr": 2e-4, "beta1": 0.5, "beta2": 0.999,
                        "fresh_masks": True, "mask_kind": "mixed", "augment": False, "hole_weight": 1.0},
        test_config={"resolution": 16, "g_width": 4, "d_width": 4, "dilations": [2, 4]},
        tasks=("inpaint",),
        objective="pggan-inpaint",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="pggan-inpaint", builder="zoo_plugins.pggan_inpaint.objective:PGGANInpaintObjective",
        description="Demir 2018: 0.995·L1 + 0.0025·(global adversarial) + 0.0025·(patch adversarial), "
                    "one D step per G step, Adam(2e-4, β1 = 0.5)"))
