"""GAN-INT-CLS: Reed, Akata, Yan, Logeswaran, Schiele, Lee 2016, "Generative Adversarial Text to Image
Synthesis" (ICML 2016, arXiv:1605.05396). Registration only (no torch import); see .networks and
.objective.

Text to image: the generator takes z and a text embedding (the core's char-CNN-RNN, zoo.text, trained
here with Reed et al.'s joint embedding loss on the `captions` data set); the matching-aware
discriminator also sees real images with mismatching text (CLS), and the generator is also trained on
interpolated text embeddings (INT). Trained on the captions whose (digit, thickness, slant) combination
is not held out (zoo.data.captions), so that the held-out ones measure generalisation.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, ObjectiveRecord, Paper

PAPER = Paper(title="Generative Adversarial Text to Image Synthesis",
              authors="Reed, Akata, Yan, Logeswaran, Schiele, Lee", year=2016, arxiv="1605.05396")
TEXT_TASK = "zoo.tasks.text:TextToImageTask"


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="ganintcls",
        paper=PAPER,
        description="text-to-image DCGAN: compressed text embedding concatenated to z in G and replicated "
                    "at 4x4 in D; matching-aware D (real image + wrong text) and interpolated texts in G's loss",
        components={"generator": "zoo_plugins.ganintcls.networks:GanIntClsGenerator",
                    "discriminator": "zoo_plugins.ganintcls.networks:GanIntClsDiscriminator"},
        # Sec. 4.1: 100-d N(0, 1) z, text 1,024 -> 128 (here 64 -> 32), Adam(2e-4, beta1=0.5), batch 64;
        # cls_weight 0.5 and interp_weight 1 as Reed's train_cub.sh.
        default_config={"latent_dim": 100, "text_dim": 64, "text_features": 32, "resolution": 32, "channels": 1,
                        "g_width": 32, "d_width": 32, "text_encoder": "char-cnn-rnn", "combinations": "seen",
                        "lr": 2e-4, "beta1": 0.5, "beta2": 0.999, "wrong_weight": 0.5, "interp_weight": 1.0,
                        "beta": 0.5, "lr_halve_every": 0, "residual": False},
        test_config={"resolution": 16, "g_width": 8, "d_width": 8, "latent_dim": 8, "text_features": 8},
        tasks=("generate", TEXT_TASK),
        objective="ganintcls",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="ganintcls", builder="zoo_plugins.ganintcls.objective:GanIntClsObjective",
        description="Reed 2016: matching-aware D (real+right, real+wrong text, fake+right; wrong and fake "
                    "weighted 1/2), G on own and interpolated (beta=0.5) texts, Adam(2e-4, beta1=0.5)"))


@hookimpl
def register_converters(register):
    from zoo.records import Converter

    register(Converter(
        name="ganintcls-t7", architecture="ganintcls", format="ganintcls-t7",
        builder="zoo_plugins.ganintcls.convert_t7:convert",
        description="GAN-INT-CLS's Lua Torch generators (reedscot/icml2016 *_net_G.t7: fcG, full convolutions, "
                    "residual blocks), as ganintcls with residual=true"))
