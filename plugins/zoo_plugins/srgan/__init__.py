"""SRResNet and SRGAN: Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using a Generative
Adversarial Network" (arXiv:1609.04802). One paper, one plugin: it registers `srresnet` (the
MSE-trained generator), `srgan` (the same generator trained with the VGG54 content loss and the
adversarial loss, from a trained SRResNet) and `msrresnet` (BasicSR's modified SRResNet, ESRGAN Sec. 4.1,
whose files load through the `basicsr-msrresnet` converter). Registration only (no torch import); the networks are in
.networks, the training rules in .objective, the measurements in .evaluate, the converter in .convert.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, Converter, ObjectiveRecord, Paper

PAPER = Paper(title="Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial Network",
              authors="Ledig, Theis, Huszár, Caballero, Cunningham, Acosta, Aitken, Tejani, Totz, Wang, Shi",
              year=2017, arxiv="1609.04802")

# The paper: 16 blocks of width 64, ×4, 96 px HR crops, Adam(1e-4, β1 = 0.9), batch 16.
GENERATOR = {"channels": 3, "width": 64, "blocks": 16, "scale": 4, "resolution": 96}


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="srresnet",
        paper=PAPER,
        description="super-resolution ResNet: 16 residual blocks (BN, PReLU), two sub-pixel ×2 blocks, "
                    "trained on pixel MSE",
        components={"generator": "zoo_plugins.srgan.networks:SRResNetGenerator"},
        default_config={**GENERATOR, "lr": 1e-4, "beta1": 0.9, "beta2": 0.999, "augment": True, "lr_drop": None},
        test_config={"width": 8, "blocks": 2, "resolution": 32},
        tasks=("upscale",),
        objective="srresnet",
    ))
    register(Architecture(
        name="msrresnet",
        paper=PAPER,
        description="BasicSR's modified SRResNet (ESRGAN Sec. 4.1: no batch norm, bilinear skip of the input); "
                    "loads BasicSR's MSRResNet files",
        components={"generator": "zoo_plugins.srgan.networks:MSRResNet"},
        default_config={"channels": 3, "width": 64, "blocks": 16, "scale": 4, "resolution": 96,
                        "lr": 2e-4, "beta1": 0.9, "beta2": 0.99, "augment": True, "lr_drop": None},
        test_config={"width": 8, "blocks": 2, "resolution": 32},
        tasks=("upscale",),
        objective="srresnet",
    ))
    register(Architecture(
        name="srgan",
        paper=PAPER,
        description="SRResNet's generator trained on the VGG54 content loss + 1e-3 adversarial loss against "
                    "an 8-convolution VGG-style discriminator",
        components={"generator": "zoo_plugins.srgan.networks:SRResNetGenerator",
                    "discriminator": "zoo_plugins.srgan.networks:SRGANDiscriminator"},
        default_config={**GENERATOR, "d_width": 64, "dense": 1024, "lr": 1e-4, "beta1": 0.9, "beta2": 0.999,
                        "lr_drop": 100_000, "adversarial_weight": 1e-3, "content_layer": "relu5_4",
                        "content_scale": 1 / 12.75, "feature_network": "vgg19", "augment": True},
        test_config={"width": 8, "blocks": 2, "resolution": 32, "d_width": 4, "dense": 16,
                     "feature_network": "random-vgg19"},
        tasks=("upscale",),
        objective="srgan",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="srresnet", builder="zoo_plugins.srgan.objective:SRResNetObjective",
        description="Ledig 2017: pixel MSE, Adam(lr=1e-4, beta1=0.9)"))
    register(ObjectiveRecord(
        name="srgan", builder="zoo_plugins.srgan.adversarial:SRGANObjective",
        description="Ledig 2017: VGG54 content loss (features / 12.75) + 1e-3 non-saturating adversarial loss, "
                    "Adam(beta1=0.9), lr 1e-4 then 1e-5"))


@hookimpl
def register_converters(register):
    register(Converter(
        name="basicsr-msrresnet", architecture="msrresnet", builder="zoo_plugins.srgan.convert:convert",
        format="basicsr-msrresnet",
        description="BasicSR's MSRResNet .pth (a params / params_ema wrapper or a bare state dict)"))
