"""The pytorch-pretrained-biggan converter, checked against the pip package itself: its BigGAN-deep at a
tiny size with random weights (spectral-norm vectors settled by forward passes in train mode, random
per-truncation statistics), saved in its own layout, loaded through our converter strictly, and run on the
same z, class vectors and truncations: outputs equal to 1e-5."""
from __future__ import annotations

import json
import os
import pickle

import pytest
import torch

ppb = pytest.importorskip("pytorch_pretrained_biggan")

from zoo.errors import WeightsFormatError  # noqa: E402
from zoo.readers import UnsafeFileError  # noqa: E402
from zoo_plugins.biggan.convert import convert, rename, tf_rows_to_ours  # noqa: E402
from zoo_plugins.biggan.networks import BigGANGenerator  # noqa: E402

# 4 -> 8 -> 16 -> 32 px; widths 64, 64, 32, 16, 8, 4 (channel_width 4); attention at 16 channels
LAYERS = [(False, 16, 16), (True, 16, 8), (False, 8, 4), (True, 4, 2), (True, 2, 1)]
# grid points (0.02, 0.5, 1), off-grid points away from midpoints (where the blend's order matters), and
# 0.3, whose 0.3 / (1/50) rounds to 14.999...: the port's own index
TRUNCATIONS = (0.02, 0.3, 0.455, 0.5, 0.873, 1.0)


def official_model(seed: int = 0):
    torch.manual_seed(seed)
    config = ppb.BigGANConfig(output_dim=32, z_dim=8, class_embed_dim=8, channel_width=4, num_classes=5,
                              layers=LAYERS, attention_layer_position=3, eps=1e-4, n_stats=51)
    model = ppb.BigGAN(config)
    with torch.no_grad():
        for name, buffer in model.named_buffers():
            if name.endswith("running_means"):
                buffer.normal_(0, 0.3)
            elif name.endswith("running_vars"):
                buffer.uniform_(0.5, 2.0)
        for name, param in model.named_parameters():
            if name.startswith("generator.bn."):  # the port leaves these uninitialised (torch.Tensor(n))
                param.normal_(1.0 if name.endswith("weight") else 0.0, 0.2)
            if name.endswith("gamma"):
                param.fill_(0.7)  # attention on: 0 would hide a wrong attention
            if name.endswith("weight_orig"):  # stronger than default init, so that errors show
                param.mul_(3.0)
        model.train()  # settle u and v: each forward in train mode is one power iteration
        for _ in range(5):
            model(torch.randn(2, 8), torch.eye(5)[:2], 0.5)
    return model.eval(), config


def save_official(model, config, folder):
    os.makedirs(folder, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(folder, "pytorch_model.bin"))
    with open(os.path.join(folder, "config.json"), "w") as f:
        f.write(config.to_json_string())
    return {"checkpoint": os.path.join(folder, "pytorch_model.bin"), "config": os.path.join(folder, "config.json")}


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    model, config = official_model()
    paths = save_official(model, config, tmp_path_factory.mktemp("official"))
    our_config, states = convert(paths)
    ours = BigGANGenerator(**our_config)
    ours.load_state_dict(states["generator"], strict=True)
    return model, ours.eval(), paths


@pytest.mark.parametrize("truncation", TRUNCATIONS)
def test_outputs_equal_the_pip_package(converted, truncation):
    official, ours, _ = converted
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(4, 8, generator=gen) * truncation
    classes = torch.eye(5)[[0, 3, 4, 1]]
    classes[3] = 0.3 * torch.eye(5)[1] + 0.7 * torch.eye(5)[2]  # a blend of two classes
    with torch.no_grad():
        expected = official(z, classes, truncation)
        got = ours.synthesize(z, classes, truncation)
    assert got.shape == expected.shape == (4, 3, 32, 32)
    assert torch.allclose(got, expected, atol=1e-5, rtol=0), (got - expected).abs().max()


def test_integer_labels_are_one_hot_class_vectors(converted):
    official, ours, _ = converted
    z = torch.randn(3, 8)
    with torch.no_grad():
        expected = official(z, torch.eye(5)[[2, 0, 4]], 0.6)
        got = ours(z, torch.tensor([2, 0, 4]), truncation=0.6)
    assert torch.allclose(got, expected, atol=1e-5, rtol=0)


def test_no_truncation_means_the_statistics_at_1(converted):
    official, ours, _ = converted
    z = torch.randn(2, 8)
    with torch.no_grad():
        assert torch.allclose(ours(z, torch.tensor([3, 1])), official(z, torch.eye(5)[[3, 1]], 1.0), atol=1e-5)


def test_the_statistics_of_the_truncation_are_used(converted):
    """Breakage check: the same z at two truncations must differ (the statistics are read at all)."""
    _, ours, _ = converted
    z = torch.randn(2, 8)
    with torch.no_grad():
        a, b = ours(z, torch.tensor([1, 2]), truncation=0.4), ours(z, torch.tensor([1, 2]), truncation=0.9)
    assert (a - b).abs().max() > 1e-3


def test_projection_rows_go_from_hwc_to_chw():
    # by hand, width 2: our row (c=1, h=0, w=1) = 1*16 + 1 = 17 is the TF row (h=0, w=1, c=1) = 1*2 + 1 = 3
    order = tf_rows_to_ours(2)
    assert order[17] == 3 and order[0] == 0 and order[1] == 2 and order[16] == 1
    assert sorted(order.tolist()) == list(range(32))


def test_every_key_is_renamed_by_a_rule():
    assert rename("generator.layers.3.snconv1x1_o_conv.weight_u") == "blocks.3.out.weight_u"
    assert rename("generator.layers.0.bn_2.offset.weight_orig") == "blocks.0.norm_2.bias.weight_orig"
    with pytest.raises(WeightsFormatError, match="unexpected tensor 'generator.extra'"):
        rename("generator.extra")


def test_an_unknown_tensor_in_the_file_is_refused(tmp_path):
    model, config = official_model()
    state = model.state_dict()
    state["generator.layers.0.bn_0.stray"] = torch.zeros(1)
    torch.save(state, tmp_path / "pytorch_model.bin")
    (tmp_path / "config.json").write_text(config.to_json_string())
    with pytest.raises(WeightsFormatError, match="stray"):
        convert({"checkpoint": tmp_path / "pytorch_model.bin", "config": tmp_path / "config.json"})


def test_a_missing_tensor_fails_the_strict_load(tmp_path):
    model, config = official_model()
    state = model.state_dict()
    del state["generator.layers.1.conv_2.bias"]
    torch.save(state, tmp_path / "pytorch_model.bin")
    (tmp_path / "config.json").write_text(config.to_json_string())
    cfg, states = convert({"checkpoint": tmp_path / "pytorch_model.bin", "config": tmp_path / "config.json"})
    with pytest.raises(RuntimeError, match="blocks.1.conv_2.bias"):
        BigGANGenerator(**cfg).load_state_dict(states["generator"], strict=True)


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_a_tampered_file_with_code_is_refused(tmp_path, converted):
    _, _, paths = converted
    with open(tmp_path / "pytorch_model.bin", "wb") as f:
        pickle.dump({"embeddings.weight": _Exploit()}, f)
    with pytest.raises(UnsafeFileError):
        convert({"checkpoint": tmp_path / "pytorch_model.bin", "config": paths["config"]})


def test_a_config_that_is_not_the_ports_is_refused(tmp_path, converted):
    _, _, paths = converted
    (tmp_path / "config.json").write_text(json.dumps({"z_dim": 8}))
    with pytest.raises(WeightsFormatError, match="channel_width"):
        convert({"checkpoint": paths["checkpoint"], "config": tmp_path / "config.json"})


def test_zoo_load_of_a_converted_folder_matches(converted, tmp_path):
    """The whole path a user takes: write_converted's folder, loaded by zoo.load (meta-device dry run,
    header check, strict load), generate with a truncation."""
    import zoo
    from zoo.hub.official import write_converted
    from zoo.registry import catalog

    official, _, paths = converted
    conv = catalog().get("converter", "pytorch-pretrained-biggan")
    cfg, states = convert(paths)
    write_converted(tmp_path / "deep", conv, cfg, states, {"weight set": "test"})
    model = zoo.load(f"local-dir:{tmp_path / 'deep'}")
    images = model.generate(3, seed=0, c=torch.tensor([0, 1, 2]), truncation=0.5)
    z = model.sampler.sample_latent(3, generator=torch.Generator().manual_seed(0), truncation=0.5)
    with torch.no_grad():
        expected = official(z, torch.eye(5)[[0, 1, 2]], 0.5)
    assert torch.allclose(images, expected, atol=1e-5, rtol=0)


def test_breakage_textbook_interpolation_of_the_statistics_is_caught(converted, monkeypatch):
    """Breakage check: blending the neighbouring statistics the textbook way (fraction to the upper point)
    instead of the port's way moves the outputs well past 1e-5 off the grid and off its midpoints (0.455:
    3/4 of the way), so the equality test above would catch it; on a grid point (0.5) both agree."""
    import zoo_plugins.biggan.norms as norms

    official, ours, _ = converted

    def textbook(means, variances, truncation):
        position = truncation * (means.shape[0] - 1)
        lo = int(position)
        hi = min(lo + 1, means.shape[0] - 1)
        w = position - lo
        return means[lo] * (1 - w) + means[hi] * w, variances[lo] * (1 - w) + variances[hi] * w

    monkeypatch.setattr(norms, "statistics_at", textbook)
    z, classes = torch.randn(2, 8) * 0.455, torch.eye(5)[[1, 2]]
    with torch.no_grad():
        assert (ours.synthesize(z, classes, 0.455) - official(z, classes, 0.455)).abs().max() > 1e-4
        assert torch.allclose(ours.synthesize(z, classes, 0.5), official(z, classes, 0.5), atol=1e-5)


def test_breakage_unpermuted_projection_is_caught(converted):
    """Breakage check: loading gen_z's rows in TF's (h, w, c) order as they come gives other images."""
    official, ours, _ = converted
    import copy

    broken = copy.deepcopy(ours)
    state = broken.state_dict()
    order = tf_rows_to_ours(64)
    inverse = torch.argsort(order)
    for key in ("project.weight_orig", "project.weight_u", "project.bias"):
        state[key] = state[key][inverse]  # back to the file's order
    broken.load_state_dict(state)
    z, classes = torch.randn(2, 8) * 0.5, torch.eye(5)[[0, 4]]
    with torch.no_grad():
        assert (broken.synthesize(z, classes, 0.5) - official(z, classes, 0.5)).abs().max() > 1e-3


def _official_entry(name: str, url: str, digests: dict) -> None:
    """A registry entry written like biggan.deep-128's (two files from the port's address), at `url`."""
    from zoo import registry

    files = {"checkpoint": {"filename": "biggan-deep-128-pytorch_model.bin", "sha256": digests["checkpoint"]},
             "config": {"filename": "biggan-deep-128-config.json", "sha256": digests["config"]}}
    ws, = registry.parse_registry({name: {"architecture": "biggan", "source": {
        "url": url, "converter": "pytorch-pretrained-biggan", "files": files}}}, origin="test")
    registry.catalog().by_kind["weight set"][ws.name] = ws


def test_an_official_entry_downloads_converts_and_loads(converted, monkeypatch, tmp_path):
    """The path of biggan.deep-128 end to end over a loopback server: both files fetched, checked against
    their sha256, converted, cached, loaded strictly; a tampered download is refused."""
    import hashlib
    from pathlib import Path

    from url_server import FileServer

    import zoo
    from zoo import registry
    from zoo.errors import ChecksumError

    official, _, paths = converted
    data = {key: Path(p).read_bytes() for key, p in paths.items()}
    digests = {key: hashlib.sha256(b).hexdigest() for key, b in data.items()}
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    served = {"/biggan/biggan-deep-128-pytorch_model.bin": data["checkpoint"],
              "/biggan/biggan-deep-128-config.json": data["config"]}
    try:
        with FileServer(served) as server:
            _official_entry("biggan.test-deep", server.url + "/biggan/", digests)
            model = zoo.load("biggan.test-deep")
            assert sorted(r[0] for r in server.requests) == sorted(served)
            images = model.generate(2, seed=3, c=torch.tensor([4, 0]), truncation=0.7)
            z = model.sampler.sample_latent(2, generator=torch.Generator().manual_seed(3), truncation=0.7)
            with torch.no_grad():
                assert torch.allclose(images, official(z, torch.eye(5)[[4, 0]], 0.7), atol=1e-5)
            server.tamper = True
            monkeypatch.setenv("HF_HOME", str(tmp_path / "fresh-cache"))  # else the conversion is reused
            _official_entry("biggan.test-tampered", server.url + "/other/", digests)
            server.files.update({k.replace("/biggan/", "/other/"): v for k, v in served.items()})
            with pytest.raises(ChecksumError, match="sha256 mismatch"):
                zoo.load("biggan.test-tampered")
    finally:
        registry.reset()
