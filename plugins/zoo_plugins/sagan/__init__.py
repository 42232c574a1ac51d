"""SAGAN: Zhang, Goodfellow, Metaxas, Odena 2019, "Self-Attention Generative Adversarial Networks"
(arXiv:1805.08318). Registration only (no torch import); networks in .networks.

Class-conditional: class-conditional batch norm in G, projection discriminator, self-attention in both,
spectral norm in both, hinge loss, and the two time-scale update rule (Heusel 2017) as the paper's Sec. 4
sets it: Adam(β1 = 0, β2 = 0.9), lr 4e-4 for D and 1e-4 for G, one D step per G step. The training rule
is zoo.objectives.AdversarialObjective with those settings (its `condition` hook gives both networks the
batch's labels). It calls D on the real and the generated batch separately, so D's spectral norm makes two
power iterations per D step where the SAGAN code makes one (a better σ estimate, nothing else changes).
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, ObjectiveRecord, Paper

PAPER = Paper(title="Self-Attention Generative Adversarial Networks", authors="Zhang, Goodfellow, Metaxas, Odena",
              year=2019, arxiv="1805.08318")


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="sagan",
        paper=PAPER,
        description="class-conditional residual GAN with self-attention in G and D, spectral norm in both, "
                    "conditional BN in G, projection D, hinge loss and TTUR; samples a chosen class",
        components={"generator": "zoo_plugins.sagan.networks:SAGANGenerator",
                    "discriminator": "zoo_plugins.sagan.networks:SAGANDiscriminator"},
        # 128-d z (the SAGAN/SNGAN ImageNet models); widths scaled down for 32-px digits on a CPU;
        # Sec. 4: hinge loss, Adam(β1 = 0, β2 = 0.9), lr_D = 4e-4, lr_G = 1e-4, one D step per G step.
        # These are the paper's; the shipped sagan.digits-32 overrides both lrs ×10 (ratio kept): a
        # ~1,000-step CPU budget is far from the paper's 1M steps, and at 2.5× and 4× the paper's lrs a
        # small 16-px run was still at chance after 300 steps (10× reached 0.9; see registry.yaml).
        default_config={"latent_dim": 128, "resolution": 32, "channels": 1, "g_width": 32, "d_width": 32,
                        "num_classes": 10, "attention_resolution": 16, "generator_loss": "hinge",
                        "d_steps": 1, "optimizer": "adam", "lr": 1e-4, "d_lr": 4e-4, "beta1": 0.0,
                        "beta2": 0.9},
        test_config={"resolution": 16, "g_width": 8, "d_width": 8, "latent_dim": 8, "attention_resolution": 8},
        tasks=("zoo_plugins.sagan.tasks:SAGANTasks", "generate", "interpolate"),
        objective="sagan",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="sagan", builder="zoo.objectives:AdversarialObjective",
        description="Zhang 2019: hinge loss with both networks given the batch's labels, TTUR: "
                    "Adam(β = (0, 0.9)), lr_D 4e-4, lr_G 1e-4, one D step per G step"))
