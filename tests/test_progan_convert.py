"""ProGAN's converters against reference outputs: a facebookresearch/pytorch_GAN_zoo PGAN checkpoint written by
its own code at a tiny size with random weights, and a tkarras/progressive_growing_of_gans TensorFlow pickle
whose reference images and scores come from a plain NumPy transcription of G_paper / D_paper
(tests/fixtures/progan/make_fixtures.py). The converted model must match to 1e-4, mid-fade included;
hostile files are refused; the registry path is exercised over a loopback server."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from official_checkpoints import RunsCode, converted_model, load_served_official, max_abs_diff

import zoo
from zoo.cli import main
from zoo.readers import UnsafeFileError, read_torch_weights
from zoo_plugins.progan.convert import UnsupportedCheckpointError, convert_gan_zoo, convert_tf

FIXTURES = Path(__file__).parent / "fixtures" / "progan"
GAN_ZOO, TF = FIXTURES / "gan_zoo_tiny.pth", FIXTURES / "tf_tiny.pkl"
TOL = 1e-4


def test_pytorch_gan_zoo_checkpoint_matches_the_reference():
    ref = np.load(FIXTURES / "gan_zoo_tiny_ref.npz")
    model = converted_model("progan", convert_gan_zoo, GAN_ZOO)
    G, D = model.components["generator"], model.components["discriminator"]
    config, _ = convert_gan_zoo({"checkpoint": GAN_ZOO})
    assert (config["resolution"], config["channel_list"], config["mbstd_variant"]) == (16, [8, 8, 4], "pytorch_gan_zoo")
    assert float(G.lod) == 0.0  # the saved alpha
    z = torch.from_numpy(ref["z"])
    with torch.no_grad():
        for lod, key in ((0.0, "a0"), (0.35, "a35")):  # their alpha (weight of the old output) is our lod here
            G.set_lod(lod)
            D.set_lod(lod)
            img = G.synthesize(z)
            assert max_abs_diff(img, ref[f"img_{key}"]) <= TOL, key
            assert max_abs_diff(D(torch.from_numpy(ref[f"img_{key}"])), ref[f"scores_{key}"]) <= TOL, key
    assert np.abs(ref["img_a0"]).max() > 1  # not trivially small outputs


def test_tensorflow_pickle_matches_the_plain_transcription():
    ref = np.load(FIXTURES / "tf_tiny_ref.npz")
    model = converted_model("progan", convert_tf, TF)
    G, D = model.components["generator"], model.components["discriminator"]
    assert float(G.lod) == pytest.approx(0.4) and float(D.lod) == pytest.approx(0.4)  # the pickled growing state
    z = torch.from_numpy(ref["z"])
    with torch.no_grad():
        assert max_abs_diff(G.synthesize(z), ref["img_lod"]) <= TOL
        assert max_abs_diff(D(torch.from_numpy(ref["img_lod"])), ref["scores_lod"]) <= TOL
        G.set_lod(0.0)
        D.set_lod(0.0)
        assert max_abs_diff(G.synthesize(z), ref["img_full"]) <= TOL
        assert max_abs_diff(D(torch.from_numpy(ref["img_full"])), ref["scores_full"]) <= TOL


def test_zoo_convert_then_load_gives_the_reference_images(tmp_path):
    assert main(["convert", str(GAN_ZOO), "--format", "pgan-pytorch-gan-zoo", "-o", str(tmp_path / "out")]) == 0
    model = zoo.load(f"local-dir:{tmp_path / 'out'}")
    ref = np.load(FIXTURES / "gan_zoo_tiny_ref.npz")
    with torch.no_grad():
        img = model.sampler.synthesize(torch.from_numpy(ref["z"]))
    assert max_abs_diff(img, ref["img_a0"]) <= TOL


def _gan_zoo_config(monkeypatch, attributes: dict):
    """A config object pickled under pytorch_GAN_zoo's class name, models.utils.config.BaseConfig."""
    import sys
    import types

    cls = type("BaseConfig", (), {"__module__": "models.utils.config"})
    for name in ("models", "models.utils"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "models.utils.config", types.SimpleNamespace(BaseConfig=cls))
    cfg = cls()
    cfg.__dict__.update(attributes)
    return cfg


def test_code_carrying_files_are_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps((RunsCode(marker), None, None)))
    with pytest.raises(UnsafeFileError, match="system"):
        convert_tf({"checkpoint": evil})
    evil_pth = tmp_path / "evil.pth"
    torch.save({"config": RunsCode(marker), "netG": {}}, evil_pth)
    with pytest.raises(UnsafeFileError):
        convert_gan_zoo({"checkpoint": evil_pth})
    assert not marker.exists()


def test_tampered_files_are_refused(tmp_path):
    data = TF.read_bytes()
    truncated = tmp_path / "truncated.pkl"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnsafeFileError):
        convert_tf({"checkpoint": truncated})
    swapped = tmp_path / "swapped.pkl"
    swapped.write_bytes(data.replace(b"tfutil\nNetwork", b"posix\nsystem\n\n"[:14], 1))
    with pytest.raises(UnsafeFileError):
        convert_tf({"checkpoint": swapped})
    pth = bytearray(GAN_ZOO.read_bytes())
    cut = tmp_path / "cut.pth"
    cut.write_bytes(bytes(pth[: len(pth) // 3]))
    with pytest.raises(UnsafeFileError):
        convert_gan_zoo({"checkpoint": cut})


def test_unsupported_checkpoints_are_named(tmp_path, monkeypatch):
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(UnsupportedCheckpointError, match=r"\(G, D, Gs\)"):
        convert_tf({"checkpoint": plain})
    torch.save({"netG": {}}, tmp_path / "x.pth")
    with pytest.raises(UnsupportedCheckpointError, match="no 'netG' and 'config'"):
        convert_gan_zoo({"checkpoint": tmp_path / "x.pth"})
    ckpt = read_torch_weights(GAN_ZOO, extra=("models.utils.config.BaseConfig",))
    ckpt["config"] = _gan_zoo_config(monkeypatch, {**vars(ckpt["config"]), "lossCriterion": "DCGAN"})
    torch.save(ckpt, tmp_path / "dcgan.pth")
    with pytest.raises(UnsupportedCheckpointError, match="tanh"):
        convert_gan_zoo({"checkpoint": tmp_path / "dcgan.pth"})


@pytest.mark.parametrize("fixture, converter", [(GAN_ZOO, "pgan-pytorch-gan-zoo"), (TF, "progan-tf")])
def test_official_entry_over_a_loopback_server_loads_converted(tmp_path, monkeypatch, fixture, converter):
    """A registry entry like progan.celebahq-1024's (the authors' URL, a converter, a sha256) served over HTTP:
    zoo.load downloads, checks, converts and gives the reference images; a wrong sha256 is refused."""
    model = load_served_official(monkeypatch, tmp_path, "progan", converter, fixture)
    ref = np.load(FIXTURES / ("gan_zoo_tiny_ref.npz" if fixture == GAN_ZOO else "tf_tiny_ref.npz"))
    with torch.no_grad():
        img = model.sampler.synthesize(torch.from_numpy(ref["z"]))
    assert max_abs_diff(img, ref["img_a0" if fixture == GAN_ZOO else "img_lod"]) <= TOL
