"""The StackGAN-Pytorch converter against the authors' own network: a tiny STAGE2_G (holding STAGE1_G)
with random weights and batch-norm statistics, saved and run by their code/model.py
(tests/fixtures/stackgan/make_fixture.py, from a checkout), and our converted generator on the same
inputs, to 1e-5."""
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from zoo_plugins.stackgan.convert import StackGANLayoutError, convert, rename
from zoo_plugins.stackgan.networks import StackGANGenerator

FIXTURE = Path(__file__).parent / "fixtures" / "stackgan"


def test_converted_generator_matches_the_authors_network():
    config, states = convert({"checkpoint": FIXTURE / "netG_tiny.pth"})
    assert config["latent_dim"] == 4 and config["condition_dim"] == 3 and config["text_dim"] == 5
    assert (config["stage1_resolution"], config["resolution"], config["down"], config["residual_blocks"]) == (64, 256, 2, 1)
    assert config["ca_relu"] is True and config["text_scale"] == 1.0  # their CA_NET reads φ_t as it is
    assert any(k.startswith("stage1.") for k in states["generator"])  # the nested STAGE1_G.* keys
    G = StackGANGenerator(**{k: v for k, v in config.items() if k != "d_width"})
    G.load_state_dict(states["generator"], strict=True)
    G.eval()
    io = load_file(str(FIXTURE / "io.safetensors"))
    latent = torch.cat([io["noise"], io["eps1"], io["eps2"]], 1)
    with torch.no_grad():
        low, high, _, _ = G.stage2_forward(latent, io["text"])
    torch.testing.assert_close(low, io["stage1_img"], atol=1e-5, rtol=0)
    torch.testing.assert_close(high[:, :, ::4, ::4], io["fake_img_every4"], atol=1e-5, rtol=0)
    torch.testing.assert_close(high.mean((1, 2, 3)), io["fake_img_mean"], atol=1e-5, rtol=0)


def test_layout_errors_are_one_line(tmp_path):
    assert set(rename({"module.STAGE1_G.fc.0.weight": torch.zeros(1), "img.0.weight": torch.zeros(1)})) == \
        {"stage1.fc.0.weight", "stage2.img.0.weight"}
    bad = tmp_path / "d.pth"
    torch.save({"encode_img.0.weight": torch.zeros(2, 3, 4, 4)}, bad)  # a discriminator, not a generator
    with pytest.raises(StackGANLayoutError, match="not a StackGAN-Pytorch Stage-II generator"):
        convert({"checkpoint": bad})
    with pytest.raises(StackGANLayoutError, match="reads one file"):
        convert({"g": bad, "d": bad})
