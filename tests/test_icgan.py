"""IcGAN (Perarnau et al. 2016): two independent encoders (IND) configured per role, the encoder losses
of Eqs. 3-4 against hand-computed values, the cGAN-then-encoders schedule, editing y, the CLI, and a short
run in which both encoders learn."""
import pytest
import torch

import zoo
from zoo import registry
from zoo.cli import main
from zoo.hub.layout import save_pretrained
from zoo.data.batches import TensorBatches
from zoo.data.digits import Digits
from zoo.training.groups import group_parameters, reached_parameters
from zoo.training.trainer import Trainer
from zoo_plugins.icgan.objective import IcGANObjective, squared_error
from zoo_plugins.icgan.tasks import ConditionChangeError, apply_changes

from conditional_reference import cgan_generator, icgan_encoder, onehot, squared_norm_loss


def tiny(**overrides):
    return zoo.create("icgan", config={**registry.catalog().architecture("icgan").test_config, **overrides})


def _batch(n=6, resolution=16):
    data = Digits(resolution, "train")
    return {"image": data.images[:n], "label": data.labels[:n], "attributes": data.attributes[:n]}


def test_two_encoders_of_one_class_differ_by_role():
    model = tiny()
    E_z, E_y, G = model["encoder_z"], model["encoder_y"], model["generator"]
    assert type(E_z) is type(E_y)
    assert E_z.latent.shape == G.latent.shape == (8,)
    assert E_y.latent.shape == (14,)  # one-hot class (10) + thickness, slant, width, height
    assert G.condition.kind == "attributes" and G.condition.shape == (14,)
    x = torch.rand(3, 1, 16, 16) * 2 - 1
    assert E_z(x).shape == (3, 8) and E_y(x).shape == (3, 14)
    assert torch.allclose(E_z(x), icgan_encoder(E_z, x), atol=1e-5)
    assert torch.allclose(E_y(x), icgan_encoder(E_y, x), atol=1e-5)


def test_squared_error_by_hand():
    """||(1, 2) − (0, 0)||² = 5 and ||(0, 0) − (1, 1)||² = 2: their mean is 3.5."""
    assert squared_error(torch.tensor([[1.0, 2.0], [0.0, 0.0]]), torch.tensor([[0.0, 0.0], [1.0, 1.0]])).item() == 3.5


def test_encoder_losses_are_eqs_3_and_4():
    """L_ez = E||z − E_z(G(z, y'))||² on generated samples (y' the batch's label vectors);
    L_ey = E||y − E_y(x)||² on the real images and their [one-hot, attributes]."""
    torch.manual_seed(0)
    model = tiny()
    G, E_z, E_y = model["generator"], model["encoder_z"], model["encoder_y"]
    batch = _batch()
    torch.manual_seed(7)
    out = IcGANObjective(gan_steps=0).losses("encoders", batch, dict(model.components))
    y = torch.cat([onehot(batch["label"]), batch["attributes"]], 1)
    torch.manual_seed(7)
    z = torch.randn(6, 8)
    with torch.no_grad():
        fake = cgan_generator(G, z, y)
        assert out.updates["encoder_z"].item() == pytest.approx(squared_norm_loss(z, icgan_encoder(E_z, fake)), rel=1e-4)
        assert out.updates["encoder_y"].item() == pytest.approx(squared_norm_loss(y, icgan_encoder(E_y, batch["image"])),
                                                                rel=1e-4)


def test_encoder_losses_reach_only_their_encoder():
    model = tiny()
    components = dict(model.components)
    out = IcGANObjective(gan_steps=0).losses("encoders", _batch(), components)
    for loss, own in ((out.updates["encoder_z"], "encoder_z"), (out.updates["encoder_y"], "encoder_y")):
        for role in components:
            params = group_parameters(components, (role,), "test")
            assert bool(reached_parameters(loss, params)) == (role == own), (own, role)


def test_schedule_trains_the_cgan_first_then_the_encoders():
    objective = IcGANObjective(gan_steps=3)
    assert [p.name for p in objective.schedule(2)] == ["discriminator", "generator"]
    assert [(p.name, p.groups) for p in objective.schedule(3)] == [("encoders", ("encoder_z", "encoder_y"))]
    assert {g.name for g in objective.update_groups()} == {"discriminator", "generator", "encoder_z", "encoder_y"}
    assert IcGANObjective().gan_steps == 4000
    with pytest.raises(ValueError, match="gan_steps must be >= 0"):
        IcGANObjective(gan_steps=-1)


def test_apply_changes_sets_the_class_and_shifts_or_sets_attributes():
    y = torch.cat([onehot(torch.tensor([3, 7])), torch.tensor([[0.5, -1.0, 0.0, 2.0], [1.0, 1.0, 1.0, 1.0]])], 1)
    out = apply_changes(y, {"class": "5", "thickness": "+1", "slant": "2", "height": "-0.5"}, 10)
    assert out[:, :10].argmax(1).tolist() == [5, 5] and out[:, :10].sum(1).tolist() == [1.0, 1.0]
    assert out[:, 10:].tolist() == [[1.5, 2.0, 0.0, 1.5], [2.0, 2.0, 1.0, 0.5]]
    assert torch.equal(y[:, 10:], torch.tensor([[0.5, -1.0, 0.0, 2.0], [1.0, 1.0, 1.0, 1.0]]))  # not in place
    means = torch.arange(40, dtype=torch.float32).view(10, 4)  # class k's means: 4k .. 4k + 3
    relative = apply_changes(y, {"thickness": "+1", "class": "5"}, 10, class_means=means)
    # the class first: attributes move by means[5] - means[3] = 8 and means[5] - means[7] = -8, then +1
    assert relative[:, 10:].tolist() == [[9.5, 7.0, 8.0, 10.0], [-6.0, -7.0, -7.0, -7.0]]
    with pytest.raises(ConditionChangeError, match="unknown condition 'thicknes'; did you mean 'thickness'"):
        apply_changes(y, {"thicknes": "+1"}, 10)
    with pytest.raises(ConditionChangeError, match="class takes a digit 0-9, got 12"):
        apply_changes(y, {"class": "12"}, 10)


def test_edit_decodes_the_encoded_z_with_the_changed_y():
    torch.manual_seed(0)
    model = tiny().eval()
    x = _batch(4)["image"]
    z, y = model.encode(x)
    assert y[:, :10].sum(1).tolist() == [1.0] * 4  # the class part snapped to one-hot
    edited = model.edit_conditions(x, {"class": 2}, relative_to_class=False)
    y2 = torch.cat([onehot(torch.full((4,), 2)), y[:, 10:]], 1)
    assert torch.allclose(edited, model["generator"](z, y2), atol=1e-6)
    data = Digits(8, "train")
    mean_2 = data.attributes[data.labels == 2].mean(0)
    old_means = torch.stack([data.attributes[data.labels == k].mean(0) for k in y[:, :10].argmax(1).tolist()])
    y3 = torch.cat([onehot(torch.full((4,), 2)), y[:, 10:] + mean_2 - old_means], 1)
    assert torch.allclose(model.edit_conditions(x, {"class": 2}), model["generator"](z, y3), atol=1e-5)
    assert torch.allclose(model.reconstruct(x), model["generator"](z, y), atol=1e-6)


def test_short_training_of_the_encoders_learns():
    """With the cGAN fixed (gan_steps=0), 150 encoder steps cut both losses well below their start;
    E_y's class part then beats chance on the training digits."""
    torch.manual_seed(0)
    model = zoo.create("icgan", config={"resolution": 16, "g_width": 8, "d_width": 8, "e_width": 16,
                                        "latent_dim": 8, "gan_steps": 0, "encoder_lr": 1e-3})
    data = Digits(16, "train")
    trainer = Trainer(dict(model.components), IcGANObjective(gan_steps=0, encoder_lr=1e-3),
                      TensorBatches(data.tensors(), 32, seed=0))
    logs = [trainer.train_step() for _ in range(150)]

    def mean_of(key, part):
        return sum(float(entry[key]) for entry in part) / len(part)

    assert mean_of("ez_loss", logs[-20:]) < 0.5 * mean_of("ez_loss", logs[:5])
    assert mean_of("ey_loss", logs[-20:]) < 0.5 * mean_of("ey_loss", logs[:5])
    model.eval()
    with torch.no_grad():
        predicted = model["encoder_y"](data.images[:300])[:, :10].argmax(1)
    assert (predicted == data.labels[:300]).float().mean() > 0.5


def test_zoo_edit_set_writes_input_reconstruction_and_edits(tmp_path, capsys):
    torch.manual_seed(0)
    model = tiny(resolution=32)
    folder = tmp_path / "icgan"
    save_pretrained(model, folder)
    out = tmp_path / "grid.png"
    argv = ["edit", f"local-dir:{folder}", "-n", "2", "--set", "class=all", "--set", "thickness=+1",
            "--scale", "1", "-o", str(out)]
    assert main(argv) == 0
    from PIL import Image

    width, height = Image.open(out).size  # 12 columns (input, reconstruction, 10 classes) x 2 rows of 32 px
    assert (width, height) == (12 * 32 + 13 * 2, 2 * 32 + 3 * 2)
    capsys.readouterr()
    assert main(argv[:-2] + ["--set", "colour=3", "-o", str(out)]) != 0
    assert "zoo: error: unknown condition 'colour' (known: class, thickness" in capsys.readouterr().err


def test_shipped_model_turns_held_out_digits_into_the_asked_class():
    from zoo.metrics.digits_judge import DigitsJudge

    model = zoo.load("icgan.digits-32")
    x = Digits(32, "val").images[::8]  # 45 held-out digits
    judge = DigitsJudge.pretrained()
    asked = torch.arange(10).repeat_interleave(len(x))
    edits = torch.cat([model.edit_conditions(x, {"class": k}) for k in range(10)])
    predicted = judge.logits(edits).argmax(1)
    assert (predicted == asked).float().mean() >= 0.9
    assert (predicted == asked.roll(len(x))).float().mean() < 0.3  # rejects edits that ignore the class


def test_objective_defaults_and_arguments_reach_every_group():
    from zoo import losses
    from zoo.interfaces import OptimizerSpec

    paper = OptimizerSpec("adam", lr=2e-4, betas=(0.5, 0.999))
    objective = IcGANObjective()
    assert (objective.g_opt, objective.d_opt, objective.e_opt, objective.d_steps) == (paper, paper, paper, 1)
    assert objective.generator_loss is losses.GENERATOR_LOSSES["nonsaturating"]
    assert [(g.name, g.roles, g.optimizer) for g in objective.update_groups()] == [
        ("discriminator", ("discriminator",), paper), ("generator", ("generator",), paper),
        ("encoder_z", ("encoder_z",), paper), ("encoder_y", ("encoder_y",), paper)]
    custom = IcGANObjective(gan_steps=5, encoder_lr=1e-3, generator_loss="minimax", d_steps=2, optimizer="sgd",
                            lr=1e-2, beta1=0.1, beta2=0.9)
    assert custom.e_opt == OptimizerSpec("adam", lr=1e-3, betas=(0.1, 0.9))
    assert [g.optimizer for g in custom.update_groups()][2:] == [custom.e_opt, custom.e_opt]
    assert custom.g_opt == OptimizerSpec("sgd", lr=1e-2, betas=(0.1, 0.9))
    assert custom.generator_loss is losses.GENERATOR_LOSSES["minimax"]
    assert [(p.name, p.repeats) for p in custom.schedule(4)] == [("discriminator", 2), ("generator", 1)]


def test_gan_phases_are_the_cgan_game_and_encoder_logs_are_the_losses():
    from zoo.objectives import ConditionalAdversarialObjective

    model = tiny()
    batch, components = _batch(), dict(model.components)
    for phase in ("discriminator", "generator"):
        torch.manual_seed(2)
        ours = IcGANObjective(gan_steps=1).losses(phase, batch, components).updates[phase]
        torch.manual_seed(2)
        assert ours.item() == pytest.approx(ConditionalAdversarialObjective().losses(phase, batch, components).updates[phase].item())
    out = IcGANObjective(gan_steps=0).losses("encoders", batch, components)
    assert out.logs == {"ez_loss": out.updates["encoder_z"].detach(), "ey_loss": out.updates["encoder_y"].detach()}


def test_encoder_arguments():
    from zoo_plugins.icgan.networks import IcGANEncoder

    e = IcGANEncoder()
    assert (e.target, e.latent.shape, e.input.shape, e.input.value_range) == ("z", (100,), (1, 32, 32), (-1.0, 1.0))
    assert e.trunk[0].kernel_size == (4, 4)
    assert IcGANEncoder(target="y").latent.shape == (14,)
    assert IcGANEncoder(target="y", condition="class").latent.shape == (10,)
    assert IcGANEncoder(target="y", num_classes=3, num_attributes=2).latent.shape == (5,)
    assert IcGANEncoder(resolution=16, e_width=4, kernel_size=5, latent_dim=3)(torch.zeros(2, 1, 16, 16)).shape == (2, 3)
    assert IcGANEncoder(resolution=8, e_width=4, latent_dim=3)(torch.zeros(2, 1, 8, 8)).shape == (2, 3)
    with pytest.raises(ValueError, match=r"^an IcGAN encoder's target must be 'z' \(E_z\) or 'y' \(E_y\), got 'w'$"):
        IcGANEncoder(target="w")
    for bad in (4, 12):
        with pytest.raises(ValueError, match=f"^IcGAN's encoders need a power-of-two resolution >= 8, got {bad}$"):
            IcGANEncoder(resolution=bad)


def test_parse_change_kinds_and_messages():
    from zoo_plugins.icgan.tasks import parse_change

    names = ("class", "thickness", "width")
    assert parse_change("width", "2", names, 10) == ("width", "absolute", 2.0)
    assert parse_change("width", "+1", names, 10) == ("width", "relative", 1.0)
    assert parse_change("width", "-0.5", names, 10) == ("width", "relative", -0.5)
    assert parse_change("class", "9", names, 10) == ("class", "class", 9)
    for bad in ("10", "x"):
        with pytest.raises(ConditionChangeError, match=f"^class takes a digit 0-9, got {bad if bad == '10' else repr(bad)}$"):
            parse_change("class", bad, names, 10)
    with pytest.raises(ConditionChangeError, match=r"^width takes a number of standard deviations \(2, or \+1/-1 to "
                                                   r"shift it\), got 'wide'$"):
        parse_change("width", "wide", names, 10)


def test_a_class_change_comes_before_setting_an_attribute():
    y = torch.cat([onehot(torch.tensor([3])), torch.zeros(1, 4)], 1)
    means = torch.arange(40, dtype=torch.float32).view(10, 4)
    out = apply_changes(y, {"height": "2", "class": "5"}, 10, class_means=means)
    assert out[0, 10:].tolist() == [8.0, 8.0, 8.0, 2.0]  # moved by means[5] - means[3], then height set to 2
    two_attributes = y[:, :12]  # a model conditioned on thickness and slant only
    assert apply_changes(two_attributes, {"slant": "+1"}, 10)[0, 10:].tolist() == [0.0, 1.0]
    with pytest.raises(ConditionChangeError, match=r"unknown condition 'width' \(known: class, thickness, slant\)"):
        apply_changes(two_attributes, {"width": "+1"}, 10)
