"""StackGAN: Zhang, Xu, Li, Zhang, Wang, Huang, Metaxas 2017, "StackGAN: Text to Photo-realistic Image
Synthesis with Stacked Generative Adversarial Networks" (ICCV 2017, arXiv:1612.03242). Registration only
(no torch import); see .networks and .objective.

Two stages from a text embedding (the core's char-CNN-RNN, zoo.text): Stage-I draws a 16 px sketch,
Stage-II re-reads it with the text through residual blocks and draws 32 px (the paper: 64 -> 256 px;
the digits are 8 px at the source, so 16 -> 32 here). Conditioning augmentation with its KL term
(lambda = 1), a matching-aware discriminator per stage, Stage-II trained with Stage-I frozen, the
learning rate halved on a schedule. Trained on the captions whose (digit, thickness, slant) combination
is not held out (zoo.data.captions).
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, ObjectiveRecord, Paper

PAPER = Paper(title="StackGAN: Text to Photo-realistic Image Synthesis with Stacked Generative Adversarial "
                    "Networks", authors="Zhang, Xu, Li, Zhang, Wang, Huang, Metaxas", year=2017, arxiv="1612.03242")


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="stackgan",
        paper=PAPER,
        description="two-stage text-to-image GAN: conditioning augmentation, Stage-I 16 px sketch, Stage-II "
                    "32 px with residual blocks, a matching-aware D per stage, Stage-II trained with Stage-I frozen",
        components={"generator": "zoo_plugins.stackgan.networks:StackGANGenerator",
                    "discriminator": "zoo_plugins.stackgan.networks:Stage1Discriminator",
                    "discriminator_2": "zoo_plugins.stackgan.networks:Stage2Discriminator"},
        # Sec. 4 / the authors' configs: z 100-d, condition (CA) 128-d, 2 residual blocks, Adam(2e-4,
        # beta1=0.5), lr halved every 100 epochs (here every lr_halve_every steps), KL weight 1.
        # text_scale 28 = 1 / the mean per-dimension std of the shipped char-CNN-RNN's embeddings of the
        # training captions (0.036): the CAs read unit-scale embeddings (networks.py says why).
        default_config={"latent_dim": 100, "text_dim": 64, "condition_dim": 128, "g_width": 16, "g2_width": 16,
                        "d_width": 16, "resolution": 32, "stage1_resolution": 16, "channels": 1, "down": 1,
                        "residual_blocks": 2, "text_encoder": "char-cnn-rnn", "combinations": "seen", "ca_relu": False,
                        "text_scale": 28.0,
                        "stage1_steps": 1500, "lr": 2e-4, "beta1": 0.5, "beta2": 0.999, "kl_weight": 1.0,
                        "wrong_weight": 0.5, "lr_halve_every": 0},
        test_config={"resolution": 16, "stage1_resolution": 8, "g_width": 4, "g2_width": 4, "d_width": 4,
                     "latent_dim": 8, "condition_dim": 4, "residual_blocks": 1},
        tasks=("generate", "zoo.tasks.text:TextToImageTask"),
        objective="stackgan",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="stackgan", builder="zoo_plugins.stackgan.objective:StackGANObjective",
        description="Zhang 2017: Stage-I then Stage-II (Stage-I frozen); per stage a matching-aware D on the CA "
                    "mean and G's non-saturating loss + KL (lambda=1); Adam(2e-4, beta1=0.5), lr halving"))


@hookimpl
def register_converters(register):
    from zoo.records import Converter

    register(Converter(
        name="stackgan-pytorch", architecture="stackgan", format="stackgan-pytorch",
        builder="zoo_plugins.stackgan.convert:convert",
        description="StackGAN-Pytorch's Stage-II generator state dict (netG_epoch_*.pth: STAGE2_G with the "
                    "STAGE1_G.* keys nested), e.g. the authors' COCO netG_epoch_90.pth"))
