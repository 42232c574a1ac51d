"""StyleGAN's converter of NVlabs/stylegan TensorFlow pickles against a plain NumPy transcription of G_style /
G_mapping / G_synthesis / D_basic (tests/fixtures/stylegan/make_fixtures.py): tiny (G, D, Gs) pickles in the
official layout, fused (mid-fade, lod 0.4) and unfused. The converted model must match to 1e-4 (W, truncated
ws, images, scores); hostile files are refused; the registry path is exercised over a loopback server."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from official_checkpoints import RunsCode, converted_model, load_served_official, max_abs_diff

import zoo
from zoo.cli import main
from zoo.readers import UnsafeFileError
from zoo_plugins.stylegan.convert import UnsupportedCheckpointError, _fused_up, convert_tf

FIXTURES = Path(__file__).parent / "fixtures" / "stylegan"
TF, TF_UNFUSED = FIXTURES / "tf_tiny.pkl", FIXTURES / "tf_tiny_unfused.pkl"
TOL = 1e-4


def test_fused_pickle_matches_the_plain_transcription_mid_fade_and_truncated():
    ref = np.load(FIXTURES / "tf_tiny_ref.npz")
    config, _ = convert_tf({"checkpoint": TF})
    assert (config["resolution"], config["channel_base"], config["channel_max"], config["mapping_layers"],
            config["truncation_cutoff"]) == (16, 64, 8, 3, 4)
    model = converted_model("stylegan", convert_tf, TF)
    G, D = model.components["generator"], model.components["discriminator"]
    assert float(G.lod) == pytest.approx(0.4) and float(D.lod) == pytest.approx(0.4)  # the pickled growing state
    z = torch.from_numpy(ref["z"])
    with torch.no_grad():
        assert max_abs_diff(G.mapping(z), ref["w"]) <= TOL
        ws_trunc = G.map_latent(z, psi=0.7, cutoff=G.truncation_cutoff)
        assert max_abs_diff(ws_trunc, ref["ws_trunc"]) <= TOL
        assert max_abs_diff(G.synthesis(G.map_latent(z), "const"), ref["img_lod"]) <= TOL
        assert max_abs_diff(D(torch.from_numpy(ref["img_lod"])), ref["scores_lod"]) <= TOL
        G.set_lod(0.0)
        D.set_lod(0.0)
        assert max_abs_diff(G.synthesis(ws_trunc, "const"), ref["img_full_trunc"]) <= TOL
        assert max_abs_diff(D(torch.from_numpy(ref["img_full_trunc"])), ref["scores_full"]) <= TOL
        # forward: ψ on the first truncation_cutoff layers, clipped to the declared range
        assert max_abs_diff(G(z, truncation_psi=0.7), np.clip(ref["img_full_trunc"], -1, 1)) <= TOL
    assert np.abs(ref["img_lod"]).max() > 1  # not trivially small outputs


def test_unfused_pickle_matches_the_plain_transcription():
    ref = np.load(FIXTURES / "tf_tiny_ref.npz")
    model = converted_model("stylegan", convert_tf, TF_UNFUSED)
    G, D = model.components["generator"], model.components["discriminator"]
    z = torch.from_numpy(ref["z"])
    with torch.no_grad():
        assert max_abs_diff(G.synthesis(G.map_latent(z), "const"), ref["img_unfused"]) <= TOL
        assert max_abs_diff(D(torch.from_numpy(ref["img_unfused"])), ref["scores_unfused"]) <= TOL


def test_fused_scale_auto_is_the_official_rule():
    assert [_fused_up({"fused_scale": "auto"}, r) for r in (8, 64, 128, 1024)] == [False, False, True, True]
    assert _fused_up({"fused_scale": True}, 8) and not _fused_up({"fused_scale": False}, 1024)


def test_zoo_convert_then_load_gives_the_reference_images(tmp_path):
    assert main(["convert", str(TF), "--format", "stylegan-tf", "-o", str(tmp_path / "out")]) == 0
    model = zoo.load(f"local-dir:{tmp_path / 'out'}")
    ref = np.load(FIXTURES / "tf_tiny_ref.npz")
    G = model.sampler
    with torch.no_grad():
        assert max_abs_diff(G.synthesis(G.map_latent(torch.from_numpy(ref["z"])), "const"), ref["img_lod"]) <= TOL


def test_code_carrying_pickle_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps((RunsCode(marker), None, None)))
    with pytest.raises(UnsafeFileError, match="system"):
        convert_tf({"checkpoint": evil})
    assert not marker.exists()


def test_tampered_pickle_is_refused(tmp_path):
    data = TF.read_bytes()
    truncated = tmp_path / "truncated.pkl"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnsafeFileError):
        convert_tf({"checkpoint": truncated})
    swapped = tmp_path / "swapped.pkl"
    swapped.write_bytes(data.replace(b"dnnlib.tflib.network\nNetwork", b"posix\nsystem", 1))
    with pytest.raises(UnsafeFileError):
        convert_tf({"checkpoint": swapped})


def _with_kwargs(tmp_path, **changes) -> Path:
    """The fixture with Gs's static_kwargs changed, re-pickled through the reader's inert objects."""
    import importlib.util
    import sys

    from zoo.readers import read_nvlabs_pickle

    # the reader gives inert objects; rebuild them with the fixture writer's stand-in class

    spec = importlib.util.spec_from_file_location("sg_fixtures", FIXTURES / "make_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    saved = {k: sys.modules.get(k) for k in ("dnnlib", "dnnlib.tflib", "dnnlib.tflib.network")}
    try:
        module = type(sys)("dnnlib.tflib.network")
        mod.Network.__module__ = module.__name__
        module.Network = mod.Network
        sys.modules.update({"dnnlib": type(sys)("dnnlib"), "dnnlib.tflib": type(sys)("dnnlib.tflib"),
                            "dnnlib.tflib.network": module})
        g, d, _ = read_nvlabs_pickle(TF)

        def rebuild(net):
            s = net.state
            comps = {k: rebuild(c) for k, c in (s.get("components") or {}).items()}
            return mod.Network(s["name"], dict(s["static_kwargs"]), dict(s["variables"]), comps)

        G, D = rebuild(g), rebuild(d)
        G.static_kwargs.update(changes)
        out = tmp_path / "changed.pkl"
        out.write_bytes(pickle.dumps((G, D, G), protocol=2))
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return out


def test_unsupported_networks_are_named(tmp_path):
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(UnsupportedCheckpointError, match=r"\(G, D, Gs\)"):
        convert_tf({"checkpoint": plain})
    with pytest.raises(UnsupportedCheckpointError, match="label_size"):
        convert_tf({"checkpoint": _with_kwargs(tmp_path, label_size=10)})
    with pytest.raises(UnsupportedCheckpointError, match="unknown G_style argument 'mystery'"):
        convert_tf({"checkpoint": _with_kwargs(tmp_path, mystery=1)})
    with pytest.raises(UnsupportedCheckpointError, match="use_instance_norm"):
        convert_tf({"checkpoint": _with_kwargs(tmp_path, use_instance_norm=False)})


def test_official_entry_over_a_loopback_server_loads_converted(tmp_path, monkeypatch):
    """A registry entry like stylegan.ffhq-1024's (the authors' URL, a converter, a sha256) served over HTTP:
    zoo.load downloads, checks, converts and gives the reference images; a wrong sha256 is refused."""
    model = load_served_official(monkeypatch, tmp_path, "stylegan", "stylegan-tf", TF)
    ref = np.load(FIXTURES / "tf_tiny_ref.npz")
    G = model.sampler
    assert float(G.lod) == pytest.approx(0.4)
    with torch.no_grad():
        assert max_abs_diff(G.synthesis(G.map_latent(torch.from_numpy(ref["z"])), "const"), ref["img_lod"]) <= TOL


def test_registry_names_the_official_sets_unpinned():
    from zoo import registry

    registry.reset()
    sets = registry.catalog().by_kind["weight set"]
    for name, filename in (("stylegan.ffhq-1024", "karras2019stylegan-ffhq-1024x1024.pkl"),
                           ("stylegan.celebahq-1024", "karras2019stylegan-celebahq-1024x1024.pkl"),
                           ("stylegan.bedrooms-256", "karras2019stylegan-bedrooms-256x256.pkl"),
                           ("stylegan.cars-512", "karras2019stylegan-cars-512x384.pkl"),
                           ("stylegan.cats-256", "karras2019stylegan-cats-256x256.pkl")):
        ws = sets[name]
        assert ws.architecture == "stylegan" and ws.source.converter == "stylegan-tf"
        assert ws.source.files["checkpoint"].filename == filename and ws.source.files["checkpoint"].sha256 is None
        assert ws.source.unpinned
