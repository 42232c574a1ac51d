"""Latent-space tools: attribute vectors, the prior-matching classifier, the latent map, the edit task
and the CLI commands that draw them."""
import pytest
import torch
import torch.nn.functional as F

import zoo
from zoo.cli import main
from zoo.latent import attribute_vector, prior_classifier_accuracy
from zoo.latent_digits import latent_map
from zoo.tasks import slerp


def test_attribute_vector_by_hand():
    codes = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0], [2.0, 4.0], [4.0, 1.0]])
    has = torch.tensor([False, True, False, True, True])
    # mean with: (8/3, 5/3); mean without: (0, 2)
    assert attribute_vector(codes, has).tolist() == pytest.approx([8 / 3, 5 / 3 - 2])
    with pytest.raises(ValueError, match="both with and without"):
        attribute_vector(codes, torch.ones(5, dtype=torch.bool))
    with pytest.raises(ValueError, match="must match"):
        attribute_vector(codes, has[:3])


def test_prior_classifier_tells_shifted_codes_but_not_matched_ones():
    g = torch.Generator().manual_seed(0)
    prior = torch.randn(500, 2, generator=g)
    same = torch.randn(500, 2, generator=g)
    shifted = torch.randn(500, 2, generator=g) * 0.3 + 2.0
    assert abs(prior_classifier_accuracy(same, prior, steps=150) - 0.5) < 0.08
    assert prior_classifier_accuracy(shifted, prior, steps=150) > 0.95
    with pytest.raises(ValueError, match="same d"):
        prior_classifier_accuracy(torch.zeros(4, 3), torch.zeros(4, 2))


def test_latent_map_png(tmp_path):
    from PIL import Image

    codes, labels = torch.randn(50, 2), torch.arange(50) % 10
    path = latent_map(codes, labels, tmp_path / "map.png", prior_samples=torch.randn(100, 2), size=200)
    image = Image.open(path)
    assert image.size == (200, 200)
    assert len(image.getcolors(maxcolors=1 << 16)) > 10  # coloured points, legend and grey prior dots
    with pytest.raises(ValueError, match="2-D codes"):
        latent_map(torch.randn(5, 3), labels[:5], tmp_path / "x.png")


def test_slerp_keeps_endpoints_and_norm():
    a, b = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    assert torch.allclose(slerp(a, b, 0.0), a) and torch.allclose(slerp(a, b, 1.0), b, atol=1e-6)
    assert slerp(a, b, 0.5).norm().item() == pytest.approx(1.0)


def _thickness(images):
    from zoo.data.digits import measure_attributes

    ink = F.avg_pool2d((images + 1) / 2, 4)  # 32 px back to the 8×8 grid the attributes are measured on
    return measure_attributes(ink)[:, 0]


def test_edit_moves_thickness_the_right_way():
    from zoo.latent_digits import digits, digits_attribute_vector

    model = zoo.load("vae.digits-32")
    assert hasattr(model, "edit") and not hasattr(zoo.create("gan"), "edit")
    vector = digits_attribute_vector(model, "thickness")
    x = digits(model, "val").images[:64]
    thicker, thinner = model.edit(x, vector, 1.5), model.edit(x, vector, -1.5)
    assert (_thickness(thicker) - _thickness(thinner)).mean() > 0.1
    with pytest.raises(ValueError, match="unknown attribute"):
        digits_attribute_vector(model, "colour")


@pytest.mark.parametrize("command", [
    ["reconstruct", "vae.digits-32", "-n", "6"],
    ["interpolate", "vae.digits-32", "--method", "slerp", "-n", "2", "--steps", "6"],
    ["edit", "cvae.digits-32", "--attribute", "slant", "--strength", "2", "-n", "3"],
    ["latent-map", "aae.digits-2d-mixture", "--size", "256"],
])
def test_cli_writes_pictures(tmp_path, command, capsys):
    from PIL import Image

    out = tmp_path / "out.png"
    assert main([*command, "-o", str(out)]) == 0
    assert out.is_file() and Image.open(out).size[0] > 32
    assert "wrote" in capsys.readouterr().out


def test_cli_refuses_bad_requests_with_a_message(tmp_path):
    with pytest.raises(SystemExit, match="latent_dim=2"):
        main(["latent-map", "vae.digits-32", "-o", str(tmp_path / "m.png")])
    with pytest.raises(SystemExit, match="unknown attribute 'colour'"):
        main(["edit", "vae.digits-32", "--attribute", "colour", "-o", str(tmp_path / "e.png")])
