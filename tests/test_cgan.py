"""Conditional GAN (Mirza & Osindero 2014) with y injected as IcGAN does: the forward passes and the
losses against plain implementations, the configurable injection position, and a short run that learns
to draw the requested class."""
import pytest
import torch

import zoo
from zoo import registry
from zoo.data.batches import TensorBatches
from zoo.data.digits import Digits, load_digits_tensors
from zoo.errors import ShapeError
from zoo.nn.conditional_dcgan import ConditionalDCGANDiscriminator, ConditionalDCGANGenerator
from zoo.objectives import ConditionalAdversarialObjective
from zoo.training.trainer import Trainer

import paper_reference
from conditional_reference import cgan_discriminator, cgan_generator, onehot


def tiny(**overrides):
    return zoo.create("cgan", config={**registry.catalog().architecture("cgan").test_config, **overrides})


def test_defaults_are_the_papers():
    """100-d z at G's input with y; y after D's first convolution (IcGAN Sec. 4.2's best position)."""
    G, D = ConditionalDCGANGenerator(), ConditionalDCGANDiscriminator()
    assert G.latent.shape == (100,) and G.latent.prior == "normal"
    assert G.condition.kind == "class" and G.condition.num_classes == 10
    assert D.condition_layer == 1
    assert D.layers[1][0].in_channels == D.layers[0][0].out_channels + 10
    assert D.layers[0][0].in_channels == 1
    cfg = registry.catalog().architecture("cgan").default_config
    assert (cfg["lr"], cfg["beta1"], cfg["d_condition_layer"]) == (2e-4, 0.5, 1)


def test_layer_geometry_defaults_and_resolutions():
    """4x4 kernels and (-1, 1) images by default; 5x5 kernels also exactly double/halve each stage;
    8 px is one stage; other sizes are refused with the size given."""
    G, D = ConditionalDCGANGenerator(), ConditionalDCGANDiscriminator()
    assert G.blocks[0].kernel_size == (4, 4) and D.layers[0][0].kernel_size == (4, 4)
    assert G.output.value_range == (-1.0, 1.0) and D.input.value_range == (-1.0, 1.0)
    assert ConditionalDCGANGenerator(condition="class+attributes").project.in_features == 100 + 14
    assert ConditionalDCGANDiscriminator(condition="class+attributes").layers[1][0].in_channels == 64 + 14
    G5 = ConditionalDCGANGenerator(resolution=16, g_width=4, latent_dim=4, kernel_size=5)
    D5 = ConditionalDCGANDiscriminator(resolution=16, d_width=4, kernel_size=5)
    x = G5(torch.randn(2, 4), torch.tensor([1, 2]))
    assert x.shape == (2, 1, 16, 16) and D5(x, torch.tensor([1, 2])).shape == (2,)
    assert [f.shape[-1] for f in D5.features(x, torch.tensor([1, 2]))] == [8, 4]
    assert ConditionalDCGANGenerator(resolution=8, g_width=4, latent_dim=4)(torch.randn(2, 4), torch.tensor([0, 1])).shape == (2, 1, 8, 8)
    for bad in (4, 12):
        with pytest.raises(ValueError, match=f"needs a power-of-two resolution >= 8, got {bad}$"):
            ConditionalDCGANGenerator(resolution=bad)


def test_shapes_and_condition_is_required():
    model = tiny()
    z, y = torch.randn(3, 8), torch.tensor([0, 4, 9])
    assert model["generator"](z, y).shape == (3, 1, 16, 16)
    assert model["discriminator"](torch.zeros(3, 1, 16, 16), y).shape == (3,)
    with pytest.raises(ShapeError, match="needs a 'class' condition"):
        model["generator"](z)
    with pytest.raises(ShapeError, match=r"must have shape \(3\), got \(2\)"):
        model["discriminator"](torch.zeros(3, 1, 16, 16), torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="d_condition_layer must be in 0..1"):
        tiny(d_condition_layer=2)
    with pytest.raises(ValueError, match="condition must be one of"):
        tiny(condition="text")


@pytest.mark.parametrize("condition", ["class", "class+attributes"])
def test_generator_is_z_and_y_concatenated_at_the_input(condition):
    torch.manual_seed(0)
    G = tiny(condition=condition)["generator"]
    z, labels = torch.randn(4, 8), torch.tensor([1, 3, 3, 8])
    if condition == "class":
        c, y = labels, onehot(labels)
    else:
        attributes = torch.randn(4, 4)
        c = y = torch.cat([onehot(labels), attributes], 1)
        assert G.condition.kind == "attributes" and G.condition.shape == (14,)
    assert torch.allclose(G(z, c), cgan_generator(G, z, y), atol=1e-5)
    other = torch.tensor([2, 2, 2, 2])
    assert not torch.allclose(G(z, other if condition == "class" else torch.cat([onehot(other), attributes], 1)),
                              G(z, c), atol=1e-3)


@pytest.mark.parametrize("position", [0, 1, 2])
def test_discriminator_injects_y_at_the_configured_layer(position):
    torch.manual_seed(0)
    D = tiny(resolution=32, d_condition_layer=position)["discriminator"]
    x, labels = torch.rand(4, 1, 32, 32) * 2 - 1, torch.tensor([0, 5, 7, 9])
    expected = cgan_discriminator(D, x, onehot(labels), position)
    assert torch.allclose(D(x, labels), expected, atol=1e-5)
    for wrong in {0, 1, 2} - {position}:  # the reference itself tells the positions apart
        with pytest.raises(RuntimeError):
            cgan_discriminator(D, x, onehot(labels), wrong)


@pytest.mark.parametrize("condition", ["class", "class+attributes"])
def test_objective_gives_both_networks_the_batchs_condition(condition):
    """D ascends log D(x|y) + log(1 − D(G(z|y)|y)), G descends −log D(G(z|y)|y), y = the batch's labels
    (with its attributes for class+attributes)."""
    torch.manual_seed(0)
    model = tiny(condition=condition)
    G, D = model["generator"], model["discriminator"]
    data = Digits(16, "train")
    batch = {"image": data.images[:6], "label": data.labels[:6], "attributes": data.attributes[:6]}
    y = onehot(batch["label"])
    if condition == "class+attributes":
        y = torch.cat([y, batch["attributes"]], 1)
    objective = ConditionalAdversarialObjective()
    for phase in ("discriminator", "generator"):
        torch.manual_seed(3)
        out = objective.losses(phase, batch, dict(model.components))
        torch.manual_seed(3)
        fake = cgan_generator(G, torch.randn(6, 8), y)
        fake_logits = cgan_discriminator(D, fake, y, 1)
        if phase == "discriminator":
            real_logits = cgan_discriminator(D, batch["image"], y, 1)
            expected = paper_reference.discriminator_loss(real_logits, fake_logits)
        else:
            expected = paper_reference.nonsaturating_generator_loss(fake_logits)
        assert out.updates[phase].item() == pytest.approx(expected.item(), rel=1e-4)


def _nearest_class_mean_accuracy(samples, labels, means):
    distances = ((samples.flatten(1)[:, None] - means.flatten(1)[None]) ** 2).sum(-1)
    return (distances.argmin(1) == labels).float().mean().item()


def test_short_training_draws_the_requested_class():
    """300 steps on 16 px digits (real digits score 0.90 here): samples made for class k lie nearest the mean real digit k far more
    often than chance (0.1), and more often than before training; a generator that ignores y cannot
    (checked: the same samples with shuffled labels score near chance)."""
    torch.manual_seed(0)
    model = zoo.create("cgan", config={"resolution": 16, "g_width": 16, "d_width": 16, "latent_dim": 16})
    images, labels = load_digits_tensors(16, "train")
    means = torch.stack([images[labels == k].mean(0) for k in range(10)])
    trainer = Trainer(dict(model.components), ConditionalAdversarialObjective(lr=1e-3),  # a faster lr for a short test
                      TensorBatches({"image": images, "label": labels}, 32, seed=0))
    G = model["generator"]
    asked = torch.arange(200) % 10

    def accuracy():
        G.eval()
        with torch.no_grad():
            x = G(G.sample_latent(200, generator=torch.Generator().manual_seed(0)), asked)
        G.train()
        return x, _nearest_class_mean_accuracy(x, asked, means)

    _, before = accuracy()
    for _ in range(300):
        trainer.train_step()
    samples, after = accuracy()
    assert after > 0.6 and after > before + 0.3
    shuffled = asked[torch.randperm(200, generator=torch.Generator().manual_seed(1))]
    assert _nearest_class_mean_accuracy(samples, shuffled, means) < 0.3


def test_shipped_model_draws_the_asked_digit():
    from zoo.metrics.digits_judge import DigitsJudge

    model = zoo.load("cgan.digits-32")
    labels = torch.arange(200) % 10
    predicted = DigitsJudge.pretrained().logits(model.generate(200, seed=1, c=labels)).argmax(1)
    assert (predicted == labels).float().mean() >= 0.95
    shuffled = labels[torch.randperm(200, generator=torch.Generator().manual_seed(0))]
    assert (predicted == shuffled).float().mean() < 0.3  # the check rejects a generator that ignores y
