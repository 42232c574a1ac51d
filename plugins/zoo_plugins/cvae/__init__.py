"""Conditional VAE: Sohn, Lee & Yan 2015, "Learning Structured Output Representation using Deep
Conditional Generative Models" (NeurIPS 2015). Registration only (no torch import); networks in .networks.

The recognition network q(z|x, y) and the generation network p(x|z, y) both see the label y; the
conditional ELBO log p(x|y) ≥ E_q[log p(x|z, y)] − KL(q(z|x, y) ‖ p(z)) is trained with
zoo.elbo.ELBOObjective, which passes the batch's labels to both networks.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, ObjectiveRecord, Paper

PAPER = Paper(title="Learning Structured Output Representation using Deep Conditional Generative Models",
              authors="Sohn, Lee, Yan", year=2015, arxiv="")


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="cvae",
        paper=PAPER,
        description="conditional VAE: label-conditioned Gaussian encoder q(z|x,y) and decoder p(x|z,y); "
                    "samples a chosen digit",
        components={"encoder": "zoo_plugins.cvae.networks:ConditionalGaussianEncoder",
                    "generator": "zoo_plugins.cvae.networks:ConditionalDecoder"},
        # Sec. 5 (MNIST): MLPs of ReLU layers; 192 units here keep the shipped weights under 3 MB.
        default_config={"latent_dim": 16, "resolution": 32, "channels": 1, "num_classes": 10, "hidden": 192,
                        "likelihood": "bernoulli", "lr": 1e-3, "beta1": 0.9, "beta2": 0.999},
        test_config={"resolution": 8, "hidden": 16, "latent_dim": 2},
        tasks=("generate", "encode", "reconstruct", "interpolate", "edit"),
        objective="cvae",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="cvae", builder="zoo.elbo:ELBOObjective",
        description="Sohn 2015: the conditional ELBO (labels into encoder and decoder), Adam"))
