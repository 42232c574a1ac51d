"""The esrgan converter against the pip references: the same random weights saved in each official layout,
converted, and the outputs compared with basicsr's networks and spandrel's loaders (≤ 1e-5).

The layouts are written here from the files' documented key names (a second, plain renaming, not the
converter's rules): ESRGAN's RRDB_ESRGAN_x4.pth (conv_first / RRDB_trunk / trunk_conv / upconv1 / upconv2 /
HRconv / conv_last), its first release's torch-Sequential layout (model.0, model.1.sub.N.RDBk.convj.0,
model.1.sub.NB, model.3, model.6, model.8, model.10), BasicSR's params / params_ema wrappers.
Tiny sizes (nf 8, gc 4, 2 blocks) keep them fast.
"""
from __future__ import annotations

import os
import pickle

import pytest
import torch

from sr_references import basicsr_archs, spandrel_model
from zoo.errors import WeightsFormatError
from zoo.readers.errors import UnsafeFileError
from zoo_plugins.esrgan.convert import convert
from zoo_plugins.esrgan.networks import build_generator


def _random_state(module: torch.nn.Module, seed: int) -> dict:
    """Every tensor replaced by seeded noise of a scale that keeps the outputs O(1)."""
    gen = torch.Generator().manual_seed(seed)
    return {k: torch.randn(v.shape, generator=gen) * 0.1 for k, v in module.state_dict().items()}


def _reference_rrdb(scale=4, nf=8, nb=2, gc=4, seed=0):
    RRDBNet, _, _ = basicsr_archs()
    ref = RRDBNet(3, 3, scale=scale, num_feat=nf, num_block=nb, num_grow_ch=gc).eval()
    ref.load_state_dict(_random_state(ref, seed))
    return ref


def _original_layout(basicsr_state: dict) -> dict:
    """ESRGAN's repository names for BasicSR's keys."""
    out = {}
    for key, value in basicsr_state.items():
        parts = key.split(".")
        if parts[0] == "body":  # body.N.rdbK.convJ.p -> RRDB_trunk.N.RDBK.convJ.p
            out[f"RRDB_trunk.{parts[1]}.RDB{parts[2][-1]}.{parts[3]}.{parts[4]}"] = value
        else:
            top = {"conv_first": "conv_first", "conv_body": "trunk_conv", "conv_up1": "upconv1",
                   "conv_up2": "upconv2", "conv_hr": "HRconv", "conv_last": "conv_last"}[parts[0]]
            out[f"{top}.{parts[1]}"] = value
    return out


def _old_layout(basicsr_state: dict, blocks: int) -> dict:
    """The first release's Sequential names for BasicSR's keys (×4)."""
    out = {}
    for key, value in basicsr_state.items():
        parts = key.split(".")
        if parts[0] == "body":
            out[f"model.1.sub.{parts[1]}.RDB{parts[2][-1]}.{parts[3]}.0.{parts[4]}"] = value
        elif parts[0] == "conv_body":
            out[f"model.1.sub.{blocks}.{parts[1]}"] = value
        else:
            index = {"conv_first": 0, "conv_up1": 3, "conv_up2": 6, "conv_hr": 8, "conv_last": 10}[parts[0]]
            out[f"model.{index}.{parts[1]}"] = value
    return out


def _ours(path) -> torch.nn.Module:
    config, states = convert({"checkpoint": path})
    model = build_generator(**config).eval()
    model.load_state_dict(states["generator"], strict=True)
    return model


def _max_diff(ours, ref, x) -> float:
    with torch.no_grad():
        return float((ours(None, x) - ref(x)).abs().max())


@pytest.mark.parametrize("wrapper", ["params", "params_ema", None])
def test_basicsr_rrdbnet_files_match_basicsr(tmp_path, wrapper):
    """ESRGAN_SRx4_DF2KOST_official (params), Real-ESRGAN x4plus (params_ema), a bare state dict."""
    ref = _reference_rrdb()
    state = ref.state_dict()
    torch.save({wrapper: state} if wrapper else state, tmp_path / "net.pth")
    x = torch.rand(2, 3, 11, 13)
    assert _max_diff(_ours(tmp_path / "net.pth"), ref, x) <= 1e-5


def test_params_ema_is_preferred_over_params(tmp_path):
    ema, plain = _reference_rrdb(seed=1), _reference_rrdb(seed=2)
    torch.save({"params": plain.state_dict(), "params_ema": ema.state_dict()}, tmp_path / "net.pth")
    x = torch.rand(1, 3, 8, 8)
    assert _max_diff(_ours(tmp_path / "net.pth"), ema, x) <= 1e-5
    assert _max_diff(_ours(tmp_path / "net.pth"), plain, x) > 1e-3


@pytest.mark.parametrize("scale", [2, 1])
def test_real_esrgan_pixel_unshuffle_variants_match(tmp_path, scale):
    """RealESRGAN_x2plus (and the ×1 fold): conv_first takes 4·3 or 16·3 channels."""
    ref = _reference_rrdb(scale=scale)
    torch.save({"params_ema": ref.state_dict()}, tmp_path / "net.pth")
    ours = _ours(tmp_path / "net.pth")
    assert ours.scale == scale and ours.conv_first.in_channels == 3 * (4 // scale) ** 2
    x = torch.rand(1, 3, 12, 8)
    assert _max_diff(ours, ref, x) <= 1e-5


def test_anime_6b_block_count_is_read_from_the_file(tmp_path):
    ref = _reference_rrdb(nb=6)
    torch.save({"params_ema": ref.state_dict()}, tmp_path / "anime.pth")
    ours = _ours(tmp_path / "anime.pth")
    assert len(ours.body) == 6
    assert _max_diff(ours, ref, torch.rand(1, 3, 9, 9)) <= 1e-5


@pytest.mark.parametrize("layout", ["original", "old"])
def test_esrgan_repository_layouts_match_basicsr_and_spandrel(tmp_path, layout):
    """RRDB_ESRGAN_x4.pth / RRDB_PSNR_x4.pth in both of their key layouts (gc 32: spandrel assumes it)."""
    ref = _reference_rrdb(nb=3, gc=32)
    state = _original_layout(ref.state_dict()) if layout == "original" else _old_layout(ref.state_dict(), 3)
    torch.save(state, tmp_path / "RRDB_ESRGAN_x4.pth")
    ours = _ours(tmp_path / "RRDB_ESRGAN_x4.pth")
    x = torch.rand(1, 3, 10, 12)
    assert _max_diff(ours, ref, x) <= 1e-5
    assert _max_diff(ours, spandrel_model(state), x) <= 1e-5


def test_srvgg_compact_matches_basicsr_and_spandrel(tmp_path):
    _, SRVGGNetCompact, _ = basicsr_archs()
    ref = SRVGGNetCompact(3, 3, num_feat=8, num_conv=3, upscale=4, act_type="prelu").eval()
    ref.load_state_dict(_random_state(ref, 3))
    torch.save({"params": ref.state_dict()}, tmp_path / "realesr-general-x4v3.pth")
    ours = _ours(tmp_path / "realesr-general-x4v3.pth")
    x = torch.rand(1, 3, 7, 9)
    assert _max_diff(ours, ref, x) <= 1e-5
    assert _max_diff(ours, spandrel_model(ref.state_dict()), x) <= 1e-5


def test_an_unknown_tensor_is_refused(tmp_path):
    state = dict(_reference_rrdb().state_dict())
    state["body.0.rdb1.extra.weight"] = torch.zeros(1)
    torch.save(state, tmp_path / "net.pth")
    with pytest.raises(WeightsFormatError, match="body.0.rdb1.extra.weight"):
        convert({"checkpoint": tmp_path / "net.pth"})


def test_a_file_of_another_network_is_refused(tmp_path):
    torch.save({"features.0.weight": torch.zeros(2, 3, 3, 3)}, tmp_path / "vgg.pth")
    with pytest.raises(WeightsFormatError, match="not an ESRGAN"):
        convert({"checkpoint": tmp_path / "vgg.pth"})


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_a_tampered_file_with_code_is_refused(tmp_path):
    with open(tmp_path / "RealESRGAN_x4plus.pth", "wb") as f:
        pickle.dump({"params_ema": {"conv_first.weight": _Exploit()}}, f)
    with pytest.raises(UnsafeFileError):
        convert({"checkpoint": tmp_path / "RealESRGAN_x4plus.pth"})


def test_breakage_a_missing_residual_scale_is_caught(tmp_path, monkeypatch):
    """Breakage check: with β = 1 instead of 0.2 the outputs leave the reference's."""
    import zoo_plugins.esrgan.networks as networks

    ref = _reference_rrdb()
    torch.save(ref.state_dict(), tmp_path / "net.pth")
    ours = _ours(tmp_path / "net.pth")
    monkeypatch.setattr(networks, "RESIDUAL_SCALE", 1.0)
    assert _max_diff(ours, ref, torch.rand(1, 3, 8, 8)) > 1e-3


def _official_entry(name: str, url: str, digest: str) -> None:
    """A registry entry written like esrgan.realesrgan-x4plus's, at `url`."""
    from zoo import registry

    ws, = registry.parse_registry({name: {"architecture": "esrgan", "source": {
        "url": url, "converter": "esrgan",
        "files": {"checkpoint": {"filename": "RealESRGAN_x4plus.pth", "sha256": digest}}}}}, origin="test")
    registry.catalog().by_kind["weight set"][ws.name] = ws


def test_an_official_entry_downloads_converts_and_loads_and_a_tampered_file_is_refused(tmp_path, monkeypatch):
    """The path of esrgan.realesrgan-x4plus over a loopback server: fetched, checked against its sha256,
    converted, loaded, upscaling as basicsr does; a download whose bytes differ from the pin is refused."""
    import hashlib

    from url_server import FileServer

    import zoo
    from zoo import registry
    from zoo.errors import ChecksumError

    ref = _reference_rrdb()
    torch.save({"params_ema": ref.state_dict()}, tmp_path / "RealESRGAN_x4plus.pth")
    data = (tmp_path / "RealESRGAN_x4plus.pth").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    monkeypatch.setenv("HF_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    served = {"/v0.1.0/RealESRGAN_x4plus.pth": data}
    try:
        with FileServer(served) as server:
            _official_entry("esrgan.test-x4plus", server.url + "/v0.1.0/", digest)
            model = zoo.load("esrgan.test-x4plus")
            x = torch.rand(1, 3, 8, 6)
            with torch.no_grad():
                assert (model.upscale(x) - ref(x)).abs().max() <= 1e-5
            server.tamper = True
            monkeypatch.setenv("HF_HOME", str(tmp_path / "fresh-cache"))
            _official_entry("esrgan.test-tampered", server.url + "/other/", digest)
            server.files["/other/RealESRGAN_x4plus.pth"] = data
            with pytest.raises(ChecksumError, match="sha256 mismatch"):
                zoo.load("esrgan.test-tampered")
    finally:
        registry.reset()


def test_zoo_convert_of_an_esrgan_repository_file_loads_by_local_dir(tmp_path, capsys):
    """`zoo convert RRDB_ESRGAN_x4.pth --format esrgan -o DIR`, then zoo.load("local-dir:DIR")."""
    import zoo
    from zoo.cli.main import main

    ref = _reference_rrdb(nb=2)
    torch.save(_original_layout(ref.state_dict()), tmp_path / "RRDB_ESRGAN_x4.pth")
    assert main(["convert", str(tmp_path / "RRDB_ESRGAN_x4.pth"), "--format", "esrgan", "-o", str(tmp_path / "out")]) == 0
    model = zoo.load(f"local-dir:{tmp_path / 'out'}")
    x = torch.rand(1, 3, 7, 7)
    with torch.no_grad():
        assert (model.upscale(x) - ref(x)).abs().max() <= 1e-5
