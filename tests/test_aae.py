"""Adversarial autoencoder (Makhzani et al. 2016): priors, the two phases' losses by hand, which
networks each phase updates, a short run that learns, and the shipped codes matching their priors."""
import copy
import math

import pytest
import torch
import torch.nn.functional as F

import zoo
from zoo import build, registry
from zoo.data.batches import TensorBatches
from zoo.data.digits import Digits
from zoo.latent import encode_images, prior_classifier_accuracy
from zoo.training.trainer import Trainer
from zoo_plugins.aae import priors
from zoo_plugins.aae.objective import AdversarialAutoencoderObjective, reconstruction_loss
from zoo_plugins.aae.optim import StepDecayAdamSpec


def tiny(**overrides):
    cfg = {**registry.catalog().architecture("aae").test_config, **overrides}
    return zoo.create("aae", config=cfg)


def test_priors_shapes_and_geometry():
    g = torch.Generator().manual_seed(0)
    assert priors.sample_prior("gaussian", 7, 8, generator=g).shape == (7, 8)
    z, k = priors.sample_mixture(4000, generator=g, with_components=True)
    assert z.shape == (4000, 2) and set(k.tolist()) == set(range(10))
    for component in (0, 3):  # each component sits at radius 4, at angle 2πk/10, elongated radially
        pts = z[k == component]
        angle = 2 * math.pi * component / 10
        radial = pts @ torch.tensor([math.cos(angle), math.sin(angle)])
        across = pts @ torch.tensor([-math.sin(angle), math.cos(angle)])
        assert radial.mean().item() == pytest.approx(4.0, abs=0.15)
        assert radial.std().item() > 3 * across.std().item()
    roll = priors.sample_swissroll(2000, generator=g)
    radius = roll.norm(dim=1)
    assert radius.max() < 5.5 and radius.min() < 0.5  # a spiral from the centre out to radius 5
    with pytest.raises(ValueError, match="latent_dim=2"):
        tiny(prior="swissroll", latent_dim=8)
    with pytest.raises(ValueError, match="prior must be one of"):
        tiny(prior="laplace")


@pytest.mark.parametrize("prior", ["gaussian", "mixture", "swissroll"])
def test_shapes_and_sampling_from_each_prior(prior):
    model = tiny(prior=prior)
    x = torch.rand(3, 1, 8, 8) * 2 - 1
    assert model.encode(x).shape == (3, 2)
    assert model.generate(5, seed=0).shape == (5, 1, 8, 8)
    assert model["discriminator"](torch.zeros(4, 2)).shape == (4,)
    message = r"^LatentDiscriminator: x \(latent codes\) must have shape \(N, 2\), got \(4, 3\)$"
    with pytest.raises(zoo.errors.ShapeError, match=message):
        model["discriminator"](torch.zeros(4, 3))
    with pytest.raises(zoo.errors.ShapeError, match=message):
        model["discriminator"](x=torch.zeros(4, 3))
    for call in (lambda d: d(torch.zeros(4, 2), torch.zeros(4)), lambda d: d(torch.zeros(4, 2), c=torch.zeros(4))):
        with pytest.raises(zoo.errors.ShapeError, match=r"^LatentDiscriminator: takes no condition, but c was given$"):
            call(model["discriminator"])


@pytest.mark.parametrize("prior", ["gaussian", "mixture", "swissroll"])
def test_prior_samples_follow_the_generator_dtype_and_device(prior):
    spec = tiny(prior=prior)["encoder"].latent
    a = spec.sample(6, generator=torch.Generator().manual_seed(4))
    torch.manual_seed(0)  # the global stream must not matter when a generator is given
    b = spec.sample(6, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and a.dtype == torch.float32 and a.shape == (6, 2)
    assert not torch.equal(a, spec.sample(6, generator=torch.Generator().manual_seed(5)))
    assert spec.sample(3, dtype=torch.float64).dtype == torch.float64
    assert priors.sample_prior(prior, 3, 2, device="meta").device.type == "meta"
    assert spec.sample(3, device="meta").device.type == "meta"


def test_universal_posterior_draws_a_fresh_code_per_call():
    model = tiny(posterior="universal", noise_dim=3)
    x = torch.rand(5, 1, 8, 8) * 2 - 1
    a, b = model.encode(x), model.encode(x)
    assert a.shape == (5, 2) and not torch.allclose(a, b)  # z = f(x, η): the noise is an input
    assert model["encoder"].hidden[1][0].in_features == 64 + 3
    with pytest.raises(ValueError, match="the universal approximator posterior needs noise_dim >= 1, got 0"):
        tiny(posterior="universal", noise_dim=0)
    assert model["encoder"].noise_dim == 3 and tiny(posterior="universal", noise_dim=1)["encoder"].noise_dim == 1
    from zoo_plugins.aae.networks import AAEEncoder

    assert AAEEncoder(posterior="universal").noise_dim == 8  # the default η size
    with pytest.raises(ValueError, match="posterior must be one of"):
        tiny(posterior="flow")


def test_rates_drop_after_the_decay_step_and_resume_in_place():
    w = torch.nn.Parameter(torch.zeros(1))
    opt = StepDecayAdamSpec("adam", lr=0.1, decay_after=2, decay=0.1).build([w])
    rates = []
    for _ in range(4):
        w.grad = torch.ones(1)
        opt.step()
        rates.append(opt.param_groups[0]["lr"])
    assert rates == pytest.approx([0.1, 0.1, 0.01, 0.01])  # updates 1-2 at the rate, 3-4 at a tenth
    # Adam with a constant gradient steps by ~lr each update: 2 x 0.1 then 2 x 0.01
    assert w.item() == pytest.approx(-0.22, abs=1e-3)
    resumed = StepDecayAdamSpec("adam", lr=0.1, decay_after=2, decay=0.1).build([w])
    resumed.load_state_dict(opt.state_dict())
    w.grad = torch.ones(1)
    resumed.step()
    assert resumed.param_groups[0]["lr"] == pytest.approx(0.01)
    # the discriminator takes d_steps updates per training step, so its decay counts d_steps times as many
    objective = AdversarialAutoencoderObjective(d_steps=3, lr_decay_step=100)
    assert objective.d_opt.decay_after == 300 and objective.g_opt.decay_after == 100
    assert [p.repeats for p in objective.schedule(0)] == [1, 3, 1]
    with pytest.raises(ValueError, match="d_steps"):
        AdversarialAutoencoderObjective(d_steps=0)


def test_phase_losses_by_hand():
    torch.manual_seed(0)
    model = tiny()
    models = dict(model.components)
    enc, dec, disc = model["encoder"], model["generator"], model["discriminator"]
    x = torch.rand(4, 1, 8, 8) * 2 - 1
    objective = AdversarialAutoencoderObjective()
    # reconstruction: Bernoulli cross-entropy of the decoded code, summed over pixels
    z = enc(x)
    by_hand = F.binary_cross_entropy_with_logits(dec.logits(z), (x + 1) / 2, reduction="sum") / 4
    out = objective.losses("reconstruction", {"image": x}, models)
    assert out.updates["autoencoder"].item() == pytest.approx(by_hand.item(), rel=1e-5)
    assert out.logs["reconstruction"].item() == pytest.approx(by_hand.item(), rel=1e-5)
    # regularisation, discriminator: −log D(z') − log(1 − D(z)) with z' from the prior
    torch.manual_seed(1)
    out = objective.losses("regularization_discriminator", {"image": x}, models)
    torch.manual_seed(1)
    z_prior = torch.randn(4, 2)
    d_real, d_fake = disc(z_prior).sigmoid(), disc(z).sigmoid()
    by_hand = -(d_real.log().mean() + (1 - d_fake).log().mean())
    assert out.updates["discriminator"].item() == pytest.approx(by_hand.item(), rel=1e-5)
    assert out.logs["d_loss"].item() == pytest.approx(by_hand.item(), rel=1e-5)
    assert out.logs["d_prior"].item() == pytest.approx(d_real.mean().item(), rel=1e-5)
    assert out.logs["d_code"].item() == pytest.approx(d_fake.mean().item(), rel=1e-5)
    # regularisation, encoder as generator: −log D(z)
    out = objective.losses("regularization_generator", {"image": x}, models)
    assert out.updates["encoder_generator"].item() == pytest.approx(-d_fake.log().mean().item(), rel=1e-5)
    assert out.logs["g_loss"].item() == pytest.approx(-d_fake.log().mean().item(), rel=1e-5)
    mse = reconstruction_loss(torch.zeros(1, 1, 1, 2), torch.tensor([[[[1.0, -1.0]]]]), "mse")
    assert mse.item() == pytest.approx(0.25 + 0.25)  # sigmoid(0) = 0.5 against ink 1 and 0


def test_objective_and_network_defaults():
    from zoo_plugins.aae.networks import AAEDecoder, AAEEncoder, LatentDiscriminator

    o = AdversarialAutoencoderObjective()
    assert (o.reconstruction, o.d_steps) == ("bernoulli", 1)
    assert (o.ae_opt.lr, o.ae_opt.betas, o.ae_opt.decay_after, o.ae_opt.decay) == (3e-4, (0.9, 0.999), 0, 0.1)
    assert (o.d_opt.lr, o.d_opt.betas, o.g_opt.lr, o.g_opt.betas) == (3e-4, (0.5, 0.999), 3e-4, (0.5, 0.999))
    custom = AdversarialAutoencoderObjective(lr="1e-3", d_lr="2e-3", beta1=0.7, beta2=0.9, lr_decay_step=5,
                                             lr_decay=0.5)
    assert (custom.ae_opt.lr, custom.ae_opt.betas) == (1e-3, (0.9, 0.9))
    assert (custom.d_opt.lr, custom.d_opt.betas, custom.g_opt.lr, custom.g_opt.betas) == (2e-3, (0.7, 0.9), 2e-3, (0.7, 0.9))
    assert {(s.decay_after, s.decay) for s in (custom.ae_opt, custom.d_opt, custom.g_opt)} == {(5, 0.5)}
    assert [(g.name, g.roles) for g in o.update_groups()] == [
        ("autoencoder", ("encoder", "generator")), ("discriminator", ("discriminator",)),
        ("encoder_generator", ("encoder",))]
    assert [g.optimizer for g in o.update_groups()] == [o.ae_opt, o.d_opt, o.g_opt]
    for kwargs, message in [({"reconstruction": "l1"}, "reconstruction must be one of"),
                            ({"generator_loss": "hinge"}, "generator_loss must be 'nonsaturating' or 'minimax'"),
                            ({"lr_decay_step": -1}, "lr_decay_step must be >= 0"),
                            ({"lr_decay": 0}, "lr_decay in"), ({"lr_decay": 1.5}, "lr_decay in")]:
        with pytest.raises(ValueError, match=message):
            AdversarialAutoencoderObjective(**kwargs)
    assert AdversarialAutoencoderObjective(lr_decay=1.0).d_opt.decay == 1.0
    enc, dec, disc = AAEEncoder(), AAEDecoder(), LatentDiscriminator()
    assert enc.input.shape == (1, 32, 32) and enc.latent.shape == (8,) and enc.latent.prior == "gaussian"
    assert (enc.posterior, enc.noise_dim, enc.logvar) == ("deterministic", 0, None)
    assert enc.hidden[1][0].in_features == 1024 and enc.hidden[1][2].out_features == 192
    assert dec.latent.shape == (8,) and dec.output.shape == (1, 32, 32) and dec.output.value_range == (-1.0, 1.0)
    assert dec.hidden[0].in_features == 8 and dec.hidden[0].out_features == 192 and dec.logits_layer.out_features == 1024
    assert disc.latent_dim == 8 and disc.input.shape == (8,) and disc.net[0].out_features == 128
    assert [m.negative_slope for m in disc.net if isinstance(m, torch.nn.LeakyReLU)] == [0.2, 0.2]


def test_minimax_generator_loss_and_gaussian_posterior_by_hand():
    """generator_loss="minimax": the encoder descends log(1 − D(z)); a Gaussian posterior's code is the
    reparameterised sample μ + σε, in the reconstruction and the regularisation phase alike."""
    torch.manual_seed(0)
    model = tiny(posterior="gaussian")
    enc, dec, disc = model["encoder"], model["generator"], model["discriminator"]
    x = torch.rand(4, 1, 8, 8) * 2 - 1
    post = enc(x)
    torch.manual_seed(3)
    z = post.mean + torch.exp(0.5 * post.logvar) * torch.randn(4, 2)
    objective = AdversarialAutoencoderObjective(generator_loss="minimax", reconstruction="mse")
    torch.manual_seed(3)
    out = objective.losses("regularization_generator", {"image": x}, dict(model.components))
    assert out.updates["encoder_generator"].item() == pytest.approx(
        torch.log(1 - torch.sigmoid(disc(z))).mean().item(), rel=1e-5)
    torch.manual_seed(3)
    out = objective.losses("reconstruction", {"image": x}, dict(model.components))
    by_hand = ((torch.sigmoid(dec.logits(z)) - (x + 1) / 2) ** 2).sum((1, 2, 3)).mean()
    assert out.updates["autoencoder"].item() == pytest.approx(by_hand.item(), rel=1e-5)
    assert torch.allclose(dec(z), torch.sigmoid(dec.logits(z)) * 2 - 1)
    with pytest.raises(ValueError, match="unknown phase 'elbo'"):
        objective.losses("elbo", {"image": x}, dict(model.components))


def test_each_phase_updates_only_its_networks():
    torch.manual_seed(0)
    model = tiny()
    objective = AdversarialAutoencoderObjective()
    trainer = Trainer(dict(model.components), objective,
                      TensorBatches(Digits(resolution=8, split="train").tensors(), 16))
    expected = {"reconstruction": {"encoder", "generator"}, "regularization_discriminator": {"discriminator"},
                "regularization_generator": {"encoder"}}
    for phase in objective.schedule(0):
        before = copy.deepcopy(model.state_dict())
        out = objective.losses(phase.name, next(trainer.batches), trainer.models)
        trainer._apply(phase.groups, out)
        changed = {k.split(".")[1] for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
        assert changed == expected[phase.name], phase.name


class _CountingBatches:
    """A batch source that numbers its batches and counts how many were drawn."""

    def __init__(self, resolution=8, size=8):
        self.drawn, self.size, self.resolution = 0, size, resolution

    def __iter__(self):
        return self

    def __next__(self):
        self.drawn += 1
        return {"image": torch.full((self.size, 1, self.resolution, self.resolution), -1.0 + 0.01 * self.drawn),
                "batch_id": self.drawn}


@pytest.mark.parametrize("d_steps", [1, 3])
def test_both_phases_of_a_step_share_one_mini_batch(d_steps):
    """Sec. 2: the reconstruction and the regularisation phase are "executed on each mini-batch": one
    batch per training step, seen by every phase (and every discriminator repeat) of that step."""
    torch.manual_seed(0)
    model = tiny()
    objective = AdversarialAutoencoderObjective(d_steps=d_steps)
    seen = []
    original = objective.losses

    def recording(phase, batch, models):
        seen.append((phase, batch["batch_id"], batch["image"][0, 0, 0, 0].item()))
        return original(phase, batch, models)

    objective.losses = recording
    batches = _CountingBatches()
    trainer = Trainer(dict(model.components), objective, batches)
    trainer.train_step()
    trainer.train_step()
    assert batches.drawn == 2
    phases = ["reconstruction"] + ["regularization_discriminator"] * d_steps + ["regularization_generator"]
    assert [name for name, _, _ in seen] == phases * 2
    per_step = len(phases)
    assert {b for _, b, _ in seen[:per_step]} == {1} and {b for _, b, _ in seen[per_step:]} == {2}
    assert [round(v, 4) for _, _, v in seen] == [-0.99] * per_step + [-0.98] * per_step
    assert [p.new_batch for p in objective.schedule(0)] == [True, False, False]


def test_short_training_learns_to_reconstruct_and_match_the_prior():
    torch.manual_seed(0)
    model = tiny(hidden=64, d_hidden=32, lr=1e-3, d_lr=1e-3)  # faster rates for a 400-step run
    val = Digits(resolution=8, split="val").images
    objective = build.build_objective(model.architecture, model.config, registry.catalog())
    trainer = Trainer(dict(model.components), objective,
                      TensorBatches(Digits(resolution=8, split="train").tensors(), 64))

    def measure():
        model.eval()
        with torch.no_grad():
            recon = reconstruction_loss(model["generator"].logits(model.encode(val)), val, "bernoulli").item()
        codes = encode_images(model, val)
        model.train()
        return recon, prior_classifier_accuracy(codes, torch.randn(len(codes), 2), steps=200)

    recon0, acc0 = measure()
    trainer.fit(400, progress=False)
    recon1, acc1 = measure()
    assert recon1 < recon0 - 2
    assert acc1 < acc0 - 0.2 and acc1 < 0.75  # the codes move towards the prior


@pytest.mark.parametrize("name", ["aae.digits-2d-gaussian", "aae.digits-2d-mixture", "aae.digits-2d-swissroll"])
def test_shipped_codes_are_hard_to_tell_from_the_prior(name):
    model = zoo.load(name)
    data = Digits(resolution=32, split="all")
    torch.manual_seed(0)
    with torch.no_grad():  # the codes the discriminator saw in training: a sample for a stochastic encoder
        codes = model.encode(data.images, sample=True)
    prior = model["encoder"].latent.sample(len(codes), generator=torch.Generator().manual_seed(0))
    # an encoder whose codes ignore the prior is told apart at ~1.0; the shipped ones measure 0.52-0.56 with
    # this 300-step classifier (0.55-0.58 with the 1000-step one of registry.yaml)
    assert prior_classifier_accuracy(codes, prior, steps=300) < 0.62
