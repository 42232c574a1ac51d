"""Feature networks: random weights saved in torchvision's / lpips' layout load through the environment
variables and give what a plain functional forward written here gives; pinned downloads; clear errors."""
from __future__ import annotations

import hashlib
from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
from url_server import FileServer

from zoo.errors import ChecksumError, UnknownNameError, WeightsNotFoundError
from zoo.features import load_feature_network, weights

VGG19 = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]
# AlexNet: (index in `features`, out, in, kernel, stride, padding), max-pools after indices 1, 4 and 11
ALEX = [(0, 64, 3, 11, 4, 2), (3, 192, 64, 5, 1, 2), (6, 384, 192, 3, 1, 1), (8, 256, 384, 3, 1, 1),
        (10, 256, 256, 3, 1, 1)]


def random_vgg19(gen) -> OrderedDict:
    state, index, channels = OrderedDict(), 0, 3
    for item in VGG19:
        if item == "M":
            index += 1
            continue
        state[f"features.{index}.weight"] = torch.randn(item, channels, 3, 3, generator=gen) * (2 / (9 * channels)) ** 0.5
        state[f"features.{index}.bias"] = torch.randn(item, generator=gen) * 0.1
        index, channels = index + 2, item
    state["classifier.0.weight"] = torch.randn(3, 3, generator=gen)  # the head is in the file, and ignored
    return state


def vgg19_by_hand(state, x, stop_after_conv: int):
    """relu(conv) blocks and 2x2 max-pools, in the order of VGG19's table; the ReLU after conv number
    `stop_after_conv` (1-based) is returned."""
    index, conv = 0, 0
    for item in VGG19:
        if item == "M":
            x, index = F.max_pool2d(x, 2), index + 1
            continue
        x = F.relu(F.conv2d(x, state[f"features.{index}.weight"], state[f"features.{index}.bias"], padding=1))
        index, conv = index + 2, conv + 1
        if conv == stop_after_conv:
            return x


def test_vgg19_loads_through_the_env_var_and_matches_a_plain_forward(tmp_path, monkeypatch):
    state = random_vgg19(torch.Generator().manual_seed(0))
    path = tmp_path / "vgg19-dcbb9e9d.pth"
    torch.save(state, path)
    monkeypatch.setenv("GENZOO_VGG19_WEIGHTS", str(path))
    net = load_feature_network("vgg19")
    images = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    got = net(images, ("relu2_2", "relu5_4"), normalize=True)
    mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
    x = (images - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)
    assert torch.allclose(got["relu2_2"], vgg19_by_hand(state, x, 4), atol=1e-5)
    assert torch.allclose(got["relu5_4"], vgg19_by_hand(state, x, 16), atol=1e-5)
    assert not any(p.requires_grad for p in net.parameters())


def random_lpips_alex(gen):
    trunk = OrderedDict()
    for index, out, inp, k, _, _ in ALEX:
        trunk[f"features.{index}.weight"] = torch.randn(out, inp, k, k, generator=gen) * (2 / (k * k * inp)) ** 0.5
        trunk[f"features.{index}.bias"] = torch.randn(out, generator=gen) * 0.1
    lins = OrderedDict((f"lin{k}.model.1.weight", torch.rand(1, out, 1, 1, generator=gen))
                       for k, (_, out, *_rest) in enumerate(ALEX))
    return trunk, lins


def lpips_alex_by_hand(trunk, lins, x0, x1):
    shift = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
    scale = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)

    def stages(x):
        x, outs = (x - shift) / scale, []
        for n, (index, _, _, _, stride, pad) in enumerate(ALEX):
            if n in (1, 2):
                x = F.max_pool2d(x, 3, 2)
            x = F.relu(F.conv2d(x, trunk[f"features.{index}.weight"], trunk[f"features.{index}.bias"], stride, pad))
            outs.append(x)
        return outs

    total = 0
    for k, (a, b) in enumerate(zip(stages(x0), stages(x1))):
        a = a / (a.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
        b = b / (b.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
        total = total + ((a - b) ** 2 * lins[f"lin{k}.model.1.weight"].view(1, -1, 1, 1)).sum(1).mean((1, 2))
    return total


def test_lpips_alex_matches_a_plain_forward(tmp_path, monkeypatch):
    trunk, lins = random_lpips_alex(torch.Generator().manual_seed(2))
    torch.save(trunk, tmp_path / "alexnet.pth")
    torch.save(lins, tmp_path / "alex.pth")
    monkeypatch.setenv("GENZOO_ALEXNET_WEIGHTS", str(tmp_path / "alexnet.pth"))
    monkeypatch.setenv("GENZOO_LPIPS_ALEX_WEIGHTS", str(tmp_path / "alex.pth"))
    lpips = load_feature_network("lpips-alex")
    gen = torch.Generator().manual_seed(3)
    x0, x1 = torch.rand(3, 3, 64, 64, generator=gen) * 2 - 1, torch.rand(3, 3, 64, 64, generator=gen) * 2 - 1
    want = lpips_alex_by_hand(trunk, lins, x0, x1)
    assert torch.allclose(lpips(x0, x1), want, rtol=1e-5, atol=1e-6) and (want > 0).all()
    assert torch.equal(lpips(x0, x0), torch.zeros(3))


def test_absent_offline_names_the_file_and_the_env_var(monkeypatch):
    monkeypatch.delenv("GENZOO_VGG19_WEIGHTS", raising=False)
    with pytest.raises(WeightsNotFoundError, match=r"vgg19-dcbb9e9d\.pth.*GENZOO_VGG19_WEIGHTS=/path/to/vgg19-dcbb9e9d\.pth"):
        load_feature_network("vgg19")
    monkeypatch.setenv("GENZOO_VGG19_WEIGHTS", "/nonexistent/vgg19.pth")
    with pytest.raises(WeightsNotFoundError, match="GENZOO_VGG19_WEIGHTS=/nonexistent/vgg19.pth: no such file"):
        load_feature_network("vgg19")
    with pytest.raises(UnknownNameError, match="Did you mean: lpips-vgg"):
        load_feature_network("lpips-vg")


def test_download_is_checked_against_the_sha256_prefix(tmp_path, monkeypatch):
    trunk, _ = random_lpips_alex(torch.Generator().manual_seed(4))
    torch.save(trunk, tmp_path / "a.pth")
    body = (tmp_path / "a.pth").read_bytes()
    prefix = hashlib.sha256(body).hexdigest()[:8]
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.delenv("GENZOO_ALEXNET_WEIGHTS", raising=False)
    with FileServer({f"/models/alexnet-{prefix}.pth": body}) as server:
        spec = weights.FeatureFile(server.url + "/models", f"alexnet-{prefix}.pth", "GENZOO_ALEXNET_WEIGHTS", None,
                                   prefix)
        monkeypatch.setitem(weights.FEATURE_FILES, "alexnet", spec)
        net = load_feature_network("alexnet")
        assert torch.equal(net.features[3].weight, trunk["features.3.weight"])
        wrong = weights.FeatureFile(server.url + "/models", f"alexnet-{prefix}.pth", "GENZOO_ALEXNET_WEIGHTS", None,
                                    "00000000" if prefix != "00000000" else "11111111")
        monkeypatch.setitem(weights.FEATURE_FILES, "alexnet", wrong)
        with pytest.raises(ChecksumError, match="does not start with .* the file was removed"):
            load_feature_network("alexnet")
    assert not list(tmp_path.glob("hf-home/genzoo/official/files/*/alexnet-*"))
