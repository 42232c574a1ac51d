"""CycleGAN: Zhu, Park, Isola, Efros 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent
Adversarial Networks" (ICCV 2017, arXiv:1703.10593). Registration only (no torch import): the networks
are in .networks, the training rule in .objective, the history pool in .pool, the unpaired seasons data
in .seasons, the domain classifier in .domain_judge, the official checkpoints' reader in .converters.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, Converter, DatasetRecord, ObjectiveRecord, Paper

PAPER = Paper(title="Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks",
              authors="Zhu, Park, Isola, Efros", year=2017, arxiv="1703.10593")


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="cyclegan",
        paper=PAPER,
        description="unpaired translation both ways: two ResNet generators (reflection padding, instance norm), "
                    "two 70x70 PatchGANs, LSGAN + 10·cycle + 5·identity, 50-image history pools",
        components={"generator": "zoo_plugins.cyclegan.networks:ResNetGenerator",
                    "generator_ba": "zoo_plugins.cyclegan.networks:ResNetGenerator",
                    "discriminator_a": "zoo_plugins.cyclegan.networks:DomainPatchDiscriminator",
                    "discriminator_b": "zoo_plugins.cyclegan.networks:DomainPatchDiscriminator"},
        # the paper's 256-px setting: 9 residual blocks (6 at 128 px and below), widths 64, instance norm,
        # λ = 10, identity 0.5·λ, pool 50, Adam(2e-4, β1 = 0.5); decay_start/decay_end in steps (0: constant)
        default_config={"resolution": 256, "in_channels": 3, "out_channels": 3, "width": 64, "num_blocks": 9,
                        "norm": "instance", "dropout": 0.0, "d_width": 64, "d_layers": 3, "d_norm": "instance",
                        "cycle_weight": 10.0, "identity_weight": 0.5, "pool_size": 50, "lr": 2e-4, "beta1": 0.5,
                        "beta2": 0.999, "decay_start": 0, "decay_end": 0, "seed": 0,
                        "generator": {"direction": "ab"}, "generator_ba": {"direction": "ba"},
                        "discriminator_a": {"domain": "a"}, "discriminator_b": {"domain": "b"}},
        test_config={"resolution": 32, "width": 4, "num_blocks": 1, "d_width": 4},
        tasks=("translate",),
        objective="cyclegan",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="cyclegan", builder="zoo_plugins.cyclegan.objective:CycleGANObjective",
        description="Zhu 2017: LSGAN both ways + 10·cycle L1 + 0.5·10·identity L1; one step of both generators, "
                    "then of both discriminators on 50-image history pools; Adam(2e-4, β1 = 0.5), lr held then "
                    "linearly to 0"))


@hookimpl
def register_datasets(register):
    register(DatasetRecord(
        name="layouts-seasons", builder="zoo_plugins.cyclegan.seasons:LayoutsSeasons",
        description="procedural: layouts renders in summer (A) and a winter palette (B), unpaired halves; the "
                    "true winter counterpart of each summer scene kept for evaluation"))


@hookimpl
def register_converters(register):
    register(Converter(
        name="cyclegan-resnet-pth", architecture="cyclegan", format="cyclegan-resnet-pth", builder="zoo_plugins.cyclegan.converters:convert",
        description="the authors' released CycleGAN ResNet generators (junyanz/pytorch-CycleGAN-and-pix2pix resnet_9blocks .pth: model.{i} keys; stale instance-norm statistics dropped)"))
