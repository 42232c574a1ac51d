"""The pix2pix and CycleGAN converters against the authors' own networks: tiny reference generators of
junyanz/pytorch-CycleGAN-and-pix2pix built with random weights, saved in the released .pth layout and run
by the reference code (tests/fixtures/translate_official/make_fixtures.py); the converted models must give
the recorded outputs to 1e-5 under the reference's train/eval semantics, including the 2018 checkpoints
whose instance norms carry running statistics the current code drops; and the registry's official entries."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import zoo
from zoo import registry
from zoo.cli.main import main
from zoo.readers import read_torch_weights
from zoo_plugins.cyclegan.converters import ResNetLayoutError, resnet_state_dict
from zoo_plugins.cyclegan.networks import ResNetGenerator
from zoo_plugins.pix2pix.converters import UNetLayoutError, unet_state_dict
from zoo_plugins.pix2pix.networks import UNetGenerator

FIXTURES = Path(__file__).parent / "fixtures" / "translate_official"
REF = load_file(str(FIXTURES / "reference_outputs.safetensors"))


def _unet(name, **over):
    config, state = unet_state_dict(read_torch_weights(FIXTURES / name))
    g = UNetGenerator(**{**config, **over})
    g.load_state_dict(state, strict=True)
    return config, g


def _resnet(name):
    config, state = resnet_state_dict(read_torch_weights(FIXTURES / name))
    assert config["resolution"] == 256  # the authors' training size; the fixtures are 32 px
    g = ResNetGenerator(**{**config, "resolution": 32})
    g.load_state_dict(state, strict=True)
    return config, g.eval()


def test_unet_eval_mode_matches_the_reference_in_eval_mode():
    config, g = _unet("unet_batch.pth", test_statistics="running", test_dropout=False)
    assert config["num_downs"] == 6 and config["width"] == 2 and config["norm"] == "batch"
    # In eval mode this random-weight fixture amplifies float32 rounding: our own network in float32 and in
    # float64 differ by ~3e-4, so two float32 implementations agree to 1e-5 only where their CPU kernels happen
    # to round alike (the machine that wrote the fixture, not every CI machine). 1e-3 still fails on any wrong
    # key, norm or skip (those move outputs by O(0.1)); the train-mode tests below keep 1e-5.
    with torch.no_grad():
        got, double = g.eval()(None, REF["input_64"]), g.double()(None, REF["input_64"].double())
    assert (got.double() - double).abs().max() < 1e-3
    assert (got - REF["unet_batch_eval"]).abs().max() < 1e-3


def test_unet_as_converted_reproduces_the_authors_test_protocol():
    """test.py leaves the network in train mode: dropout on, batch norm on the (single) test image."""
    _, g = _unet("unet_batch.pth")
    torch.manual_seed(1)
    with torch.no_grad():
        got = g.eval()(None, REF["input_64"])
    assert (got - REF["unet_batch_test"]).abs().max() < 1e-5
    torch.manual_seed(1)
    with torch.no_grad():
        assert (g.train()(None, REF["input_64"]) - REF["unet_batch_test"]).abs().max() < 1e-5


def test_old_unet_checkpoint_drops_instance_norm_statistics():
    raw = read_torch_weights(FIXTURES / "unet_instance_old.pth")
    assert any(k.endswith("running_mean") for k in raw)  # the fixture is an old checkpoint indeed
    config, g = _unet("unet_instance_old.pth", test_dropout=False)
    assert config["norm"] == "instance"
    assert not any(k.endswith(("running_mean", "running_var")) for k in g.state_dict())
    with torch.no_grad():
        assert (g.eval()(None, REF["input_64"]) - REF["unet_instance_eval"]).abs().max() < 1e-5


@pytest.mark.parametrize("name", ["resnet9.pth", "resnet9_old.pth"])
def test_resnet_9_blocks_matches_the_reference(name):
    config, g = _resnet(name)
    assert config["num_blocks"] == 9 and config["norm"] == "instance" and config["dropout"] == 0
    with torch.no_grad():
        assert (g(None, REF["input_32"]) - REF["resnet9"]).abs().max() < 1e-5


def test_resnet_with_batch_norm_and_dropout_maps_the_shifted_indices():
    config, g = _resnet("resnet6_batch_dropout.pth")
    assert config["num_blocks"] == 6 and config["norm"] == "batch" and config["dropout"] == 0.5
    assert config["out_channels"] == 1
    with torch.no_grad():
        assert (g(None, REF["input_32"]) - REF["resnet6_batch_dropout"]).abs().max() < 1e-5


def test_layout_errors_are_one_clear_line():
    with pytest.raises(UNetLayoutError, match="model.model.0.weight"):
        unet_state_dict({"model.1.weight": torch.zeros(1)})
    with pytest.raises(ResNetLayoutError, match="model.1.weight"):
        resnet_state_dict({"model.model.0.weight": torch.zeros(1)})
    state = dict(read_torch_weights(FIXTURES / "resnet9.pth"))
    state["model.99.weight"] = torch.zeros(1)
    with pytest.raises(ResNetLayoutError, match="model.99.weight"):
        resnet_state_dict(state)


def test_zoo_convert_writes_a_folder_that_loads(tmp_path):
    assert main(["convert", str(FIXTURES / "unet_batch.pth"), "--format", "pix2pix-unet-pth", "-o", str(tmp_path / "u")]) == 0
    model = zoo.load(f"local-dir:{tmp_path / 'u'}")
    torch.manual_seed(1)
    got = model.components["generator"](None, REF["input_64"])
    assert (got - REF["unet_batch_test"]).abs().max() < 1e-5
    assert main(["convert", str(FIXTURES / "resnet9_old.pth"), "--format", "cyclegan-resnet-pth", "-o", str(tmp_path / "r")]) == 0
    model = zoo.load(f"local-dir:{tmp_path / 'r'}")
    _, reference = _resnet("resnet9.pth")
    loaded = model.components["generator"].state_dict()
    assert loaded.keys() == reference.state_dict().keys()
    assert all(torch.equal(loaded[k], v) for k, v in reference.state_dict().items())
    assert model.translate(torch.zeros(1, 3, 300, 260)).shape == (1, 3, 300, 260)  # tiles of 256


OFFICIAL = {
    "pix2pix": ["edges2shoes", "sat2map", "map2sat", "facades_label2photo", "day2night"],
    "cyclegan": ["apple2orange", "orange2apple", "summer2winter_yosemite", "winter2summer_yosemite", "horse2zebra",
                 "zebra2horse", "monet2photo", "style_monet", "style_cezanne", "style_ukiyoe", "style_vangogh", "sat2map",
                 "map2sat", "cityscapes_photo2label", "cityscapes_label2photo", "facades_photo2label",
                 "facades_label2photo", "iphone2dslr_flower"],
}


@pytest.mark.parametrize("arch", sorted(OFFICIAL))
def test_registry_lists_the_official_generators_with_their_urls(arch):
    cat = registry.catalog()
    base = {"pix2pix": "http://efrosgans.eecs.berkeley.edu/pix2pix/models-pytorch/",
            "cyclegan": "http://efrosgans.eecs.berkeley.edu/cyclegan/pretrained_models/"}[arch]
    for model in OFFICIAL[arch]:
        ws = cat.weight_set(f"{arch}.{model.replace('_', '-')}")
        assert ws.architecture == arch
        assert ws.source.url == base
        assert ws.source.files["checkpoint"].filename == f"{model}.pth"
        assert ws.source.converter == f"{arch}-{'unet' if arch == 'pix2pix' else 'resnet'}-pth"
