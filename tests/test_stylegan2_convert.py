"""StyleGAN2's converters against outputs of the reference code: a stylegan2-ada-pytorch snapshot pickle
and a rosinality/stylegan2-pytorch checkpoint, each written by its reference network at a tiny size with
random weights (tests/fixtures/stylegan2/make_fixtures.py), with the reference's ws and images for fixed
z, const noise and ψ. The converted model must match to 1e-4; hostile files are refused."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from official_checkpoints import RunsCode, load_served_official

import zoo
from zoo.cli import main
from zoo.readers import UnsafeFileError
from zoo_plugins.stylegan2.convert import UnsupportedCheckpointError, convert_rosinality, convert_sg2ada, convert_tf

FIXTURES = Path(__file__).parent / "fixtures" / "stylegan2"
SG2ADA, ROSINALITY, TF = FIXTURES / "sg2ada_tiny.pkl", FIXTURES / "rosinality_tiny.pt", FIXTURES / "tf_tiny.pkl"
TOL = 1e-4


def converted(convert, path: Path):
    config, states = convert({"checkpoint": path})
    model = zoo.create("stylegan2", config=config)
    for role, state in states.items():
        model.components[role].load_state_dict(state, strict=True)
    return model


def outputs(model, ref, cutoff):
    G = model.generator.eval()
    z = torch.from_numpy(ref["z"])
    with torch.no_grad():
        ws, ws_trunc = G.map_latent(z), G.map_latent(z, psi=0.6, cutoff=cutoff)
        return ws, ws_trunc, G.synthesis(ws, "const"), G.synthesis(ws_trunc, "const")


def test_stylegan2_ada_pytorch_pickle_matches_the_reference():
    ref = np.load(FIXTURES / "sg2ada_tiny_ref.npz")
    model = converted(convert_sg2ada, SG2ADA)
    config, _ = convert_sg2ada({"checkpoint": SG2ADA})  # from the pickled constructor arguments
    assert (config["conv_clamp"], config["channel_base"], config["mapping_layers"], config["resolution"]) == (256, 64, 2, 16)
    ws, ws_trunc, img, img_trunc = outputs(model, ref, cutoff=3)
    assert np.abs(ws.numpy() - ref["ws"]).max() <= TOL
    assert np.abs(ws_trunc.numpy() - ref["ws_trunc"]).max() <= TOL
    assert np.abs(img.numpy() - ref["img"]).max() <= TOL
    assert np.abs(img_trunc.numpy() - ref["img_trunc"]).max() <= TOL
    assert np.abs(ref["img"]).max() > 1  # the reference images are not trivially small
    with torch.no_grad():
        logits = model.components["discriminator"](torch.from_numpy(ref["img"]))
    assert np.abs(logits.numpy() - ref["logits"][:, 0]).max() <= TOL


def test_tensorflow_era_pickle_matches_the_reference_legacy_conversion():
    """The TF (G, D, Gs) pickle read without TensorFlow; the reference is stylegan2-ada-pytorch's legacy.py
    reading the same pickle into its own networks."""
    ref = np.load(FIXTURES / "tf_tiny_ref.npz")
    model = converted(convert_tf, TF)
    ws, ws_trunc, img, img_trunc = outputs(model, ref, cutoff=3)
    for ours, theirs in ((ws, "ws"), (ws_trunc, "ws_trunc"), (img, "img"), (img_trunc, "img_trunc")):
        assert np.abs(ours.numpy() - ref[theirs]).max() <= TOL, theirs
    with torch.no_grad():
        logits = model.components["discriminator"](torch.from_numpy(ref["img"]))
    assert np.abs(logits.numpy() - ref["logits"][:, 0]).max() <= TOL


def test_rosinality_checkpoint_matches_the_reference():
    ref = np.load(FIXTURES / "rosinality_tiny_ref.npz")
    model = converted(convert_rosinality, ROSINALITY)
    ws, ws_trunc, img, img_trunc = outputs(model, ref, cutoff=None)
    assert np.abs(ws[:, 0].numpy() - ref["ws"]).max() <= TOL and torch.equal(ws[:, 0], ws[:, -1])
    assert np.abs(ws_trunc[:, 0].numpy() - ref["ws_trunc"]).max() <= TOL
    assert np.abs(img.numpy() - ref["img"]).max() <= TOL
    assert np.abs(img_trunc.numpy() - ref["img_trunc"]).max() <= TOL


def test_rosinality_without_latent_avg_estimates_it(tmp_path):
    ckpt = torch.load(ROSINALITY, weights_only=False)
    del ckpt["latent_avg"]
    torch.save({"g_ema": ckpt["g_ema"]}, tmp_path / "bare.pt")
    config, states = convert_rosinality({"checkpoint": tmp_path / "bare.pt"})
    model = zoo.create("stylegan2", config=config)
    model.generator.load_state_dict(states["generator"])
    with torch.no_grad():
        w = model.generator.mapping(torch.randn(20000, 8, generator=torch.Generator().manual_seed(5)))
    assert torch.allclose(states["generator"]["w_avg.w_avg"], w.mean(0), atol=0.05 * float(w.std()))


def test_zoo_convert_then_load_gives_the_reference_images(tmp_path, capsys):
    assert main(["convert", str(SG2ADA), "--format", "stylegan2-ada-pytorch", "-o", str(tmp_path / "out")]) == 0
    model = zoo.load(f"local-dir:{tmp_path / 'out'}")
    ref = np.load(FIXTURES / "sg2ada_tiny_ref.npz")
    _, _, img, _ = outputs(model, ref, cutoff=3)
    assert np.abs(img.numpy() - ref["img"]).max() <= TOL


def test_code_carrying_pickle_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps({"G_ema": RunsCode(marker)}))
    with pytest.raises(UnsafeFileError, match="system"):
        convert_sg2ada({"checkpoint": evil})
    assert not marker.exists()
    evil_pt = tmp_path / "evil.pt"
    torch.save({"g_ema": RunsCode(marker)}, evil_pt)
    with pytest.raises(UnsafeFileError):
        convert_rosinality({"checkpoint": evil_pt})
    assert not marker.exists()


def test_tampered_pickle_is_refused(tmp_path):
    data = bytearray(SG2ADA.read_bytes())
    truncated = tmp_path / "truncated.pkl"
    truncated.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(UnsafeFileError):
        convert_sg2ada({"checkpoint": truncated})
    # a global swapped inside the stream: the reference's persistence hook renamed to builtins.eval
    swapped = bytes(data).replace(b"torch_utils.persistence", b"builtins\n", 1)
    bad = tmp_path / "swapped.pkl"
    bad.write_bytes(swapped)
    with pytest.raises(UnsafeFileError):
        convert_sg2ada({"checkpoint": bad})


def test_unsupported_networks_are_named(tmp_path):
    not_a_snapshot = tmp_path / "plain.pkl"
    not_a_snapshot.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(UnsupportedCheckpointError, match="no 'G_ema'"):
        convert_sg2ada({"checkpoint": not_a_snapshot})
    torch.save({"g": {}}, tmp_path / "x.pt")
    with pytest.raises(UnsupportedCheckpointError, match="no 'g_ema'"):
        convert_rosinality({"checkpoint": tmp_path / "x.pt"})


@pytest.mark.parametrize("fixture, converter, ref, cutoff", [
    (SG2ADA, "stylegan2-ada-pytorch", "sg2ada_tiny_ref.npz", 3), (TF, "stylegan2-tf", "tf_tiny_ref.npz", 3),
    (ROSINALITY, "stylegan2-rosinality", "rosinality_tiny_ref.npz", None)])
def test_official_entry_over_a_loopback_server_loads_converted(tmp_path, monkeypatch, fixture, converter, ref, cutoff):
    """A registry entry like stylegan2.ffhq-1024's (the authors' URL, a converter, a sha256) served over HTTP:
    zoo.load downloads, checks, converts and gives the reference images; a wrong sha256 is refused."""
    model = load_served_official(monkeypatch, tmp_path, "stylegan2", converter, fixture)
    data = np.load(FIXTURES / ref)
    _, _, img, _ = outputs(model, data, cutoff)
    assert np.abs(img.numpy() - data["img"]).max() <= TOL
