"""VAE: Kingma & Welling 2014, "Auto-Encoding Variational Bayes" (arXiv:1312.6114).

Registration only (no torch import): the networks are in .networks. The training rule (the SGVB
estimator of the ELBO, Eq. 10) and the held-out ELBO and importance-weighted log p(x)
(`zoo.elbo.likelihood_report(model, images, k=...)`) are in zoo.elbo, shared with the conditional VAE.
"""
from zoo.hookspecs import hookimpl
from zoo.records import Architecture, ObjectiveRecord, Paper

PAPER = Paper(title="Auto-Encoding Variational Bayes", authors="Kingma, Welling", year=2014, arxiv="1312.6114")


@hookimpl
def register_architectures(register):
    register(Architecture(
        name="vae",
        paper=PAPER,
        description="variational autoencoder: Gaussian MLP encoder, Bernoulli or Gaussian MLP decoder, "
                    "trained on the reparameterised ELBO",
        components={"encoder": "zoo_plugins.vae.networks:GaussianMLPEncoder",
                    "generator": "zoo_plugins.vae.networks:MLPDecoder"},
        # Appendix C: one hidden layer of tanh units (500 on MNIST), minibatches of M=100 with L=1.
        # Smaller here (256 units) so the shipped weights stay under 3 MB at 32 px.
        default_config={"latent_dim": 16, "resolution": 32, "channels": 1, "hidden": 256,
                        "likelihood": "bernoulli", "lr": 1e-3, "beta1": 0.9, "beta2": 0.999},
        test_config={"resolution": 8, "hidden": 16, "latent_dim": 2},
        tasks=("generate", "encode", "reconstruct", "interpolate", "edit"),
        objective="vae",
    ))


@hookimpl
def register_objectives(register):
    register(ObjectiveRecord(
        name="vae", builder="zoo.elbo:ELBOObjective",
        description="Kingma & Welling 2014: maximise the SGVB estimate of the ELBO "
                    "(closed-form KL, one reparameterised sample per datapoint)"))
