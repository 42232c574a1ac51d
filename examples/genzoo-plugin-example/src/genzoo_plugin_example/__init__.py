"""genzoo-plugin-example: a class-conditional least-squares GAN, as a third-party genzoo plugin.

Paper: Mao, Li, Xie, Lau, Wang, Smolley 2017, "Least Squares Generative Adversarial Networks"
(ICCV 2017, arXiv:1611.04076).

This module only registers records: it imports no torch, so `zoo list` and `zoo --help` stay fast.
The classes and functions the records name ("module:Attribute") are imported on first use.
"""
from zoo.hookspecs import hookimpl
from zoo.records import (Architecture, Converter, DatasetRecord, MetricRecord, ObjectiveRecord, Paper,
                         WeightFile, WeightSet, WeightSource)

PAPER = Paper(title="Least Squares Generative Adversarial Networks", year=2017, arxiv="1611.04076",
              authors="Mao, Li, Xie, Lau, Wang, Smolley")
PACKAGE = __name__

# Written by make_weights.py: the files of the shipped weight set and their sha256.
WEIGHT_FILES = {
    "config": ("config.json", "d4e4f8e4dae69063aa688d9d3e7f5176b1c30fa893b2500e25e263ef135a6bf7"),
    "generator": ("generator.safetensors", "f1411bc8eea7f22bd20a15af15b63f21b6b7211e6c03003b1100ae04f5720904"),
    "discriminator": ("discriminator.safetensors", "173e4ab3a3b773c7237c1ae01e3667ed63641e3626656c1a51d0f70d8a5ae332"),
}


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="lsgan-mlp",
        paper=PAPER,
        description="class-conditional MLP generator and discriminator trained with the least-squares loss",
        components={"generator": f"{PACKAGE}.networks:ConditionalMLPGenerator",
                    "discriminator": f"{PACKAGE}.networks:ConditionalMLPDiscriminator"},
        # Every key goes to the constructors (of the components and of the objective) that name it.
        default_config={"latent_dim": 16, "num_classes": 10, "label_dim": 10, "resolution": 16, "channels": 1,
                        "g_hidden": 128, "d_hidden": 128, "a": 0.0, "b": 1.0, "c": 1.0,
                        "lr": 2e-4, "beta1": 0.5, "beta2": 0.999},
        test_config={"latent_dim": 4, "resolution": 8, "g_hidden": 8, "d_hidden": 8, "label_dim": 3},
        tasks=("generate", "interpolate"),
        objective="lsgan",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="lsgan", builder=f"{PACKAGE}.objective:LeastSquaresObjective",
        description="Mao 2017 Eq. 2 with a-b-c coding (default 0-1-1, Eq. 9); one D step per G step"))


@hookimpl
def register_weights(register):
    register(WeightSet(
        name="lsgan-mlp.digits-16",
        architecture="lsgan-mlp",
        default=True,
        source=WeightSource(repo_id="genzoo/lsgan-mlp-digits-16", revision="main",
                            files={role: WeightFile(f, sha) for role, (f, sha) in WEIGHT_FILES.items()}),
        # No Hub repo exists for this example: loading falls back to this copy inside the package.
        shipped=f"{PACKAGE}:weights/digits-16",
        origin="trained here: python examples/genzoo-plugin-example/make_weights.py",
        dataset="digits", resolution=16, license="MIT", paper=str(PAPER),
    ))


@hookimpl
def register_converters(register):
    register(Converter(
        name="lsgan-mlp-reference", architecture="lsgan-mlp",
        builder=f"{PACKAGE}.converters:read_reference_checkpoint", format="lsgan-mlp-pth",
        description="a plain PyTorch checkpoint {'state_dict': {'G.*', 'D.*'}, 'config': {...}}"))


@hookimpl
def register_datasets(register):
    register(DatasetRecord(
        name="blob-ring", builder=f"{PACKAGE}.data:BlobRing",
        description="procedural: a blob at one of 8 places on a ring (Mao 2017's mixture of 8 Gaussians)"))


@hookimpl
def register_metrics(register):
    register(MetricRecord(
        name="mode-coverage", builder=f"{PACKAGE}.metrics:mode_coverage",
        description="share of a classifier's classes the samples reach (and KL of their histogram to uniform)",
        higher_is_better=True))


@hookimpl
def register_commands(cli):
    # Import inside the hook: building the parser must stay cheap.
    from genzoo_plugin_example.commands import add_lsgan_codings_command

    add_lsgan_codings_command(cli)
