"""Official weights end to end: NVlabs-format fixtures converted by a test converter and compared with the
reference code's outputs; zoo.load of an official source over a loopback server (sha256 pin, tampered
and interrupted downloads, unpinned files), the converted cache that later loads read alone, and
`zoo convert`."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import official_plugin
import pytest
import torch
from url_server import FileServer

import zoo
from zoo import registry
from zoo.cli.main import main
from zoo.errors import ChecksumError, UnknownNameError, WeightsNotFoundError
from zoo.hub import official
from zoo.hub.official import UnpinnedFileError

FIXTURES = Path(__file__).parent / "fixtures" / "official"
SG2ADA = FIXTURES / "sg2ada_mapping.pkl"
TF = FIXTURES / "tf_mapping.pkl"


@pytest.fixture(autouse=True)
def catalog():
    registry.reset()
    cat = registry.catalog()
    official_plugin.register(cat)
    yield cat
    registry.reset()


def add_official(cat, name: str, url: str, sha256: str | None, filename: str = "snapshot.pkl",
                 converter: str = "tinymap-sg2ada") -> None:
    source = {"url": url, "converter": converter, "files": {"checkpoint": {"filename": filename, "sha256": sha256}}}
    if sha256 is None:
        source["unpinned"] = "the test publisher states no checksum"
    ws, = registry.parse_registry({name: {"architecture": "tinymap", "source": source}}, origin="test")
    cat.by_kind["weight set"][ws.name] = ws


def outputs(model, ref: Path) -> tuple[np.ndarray, np.ndarray]:
    data = np.load(ref)
    with torch.no_grad():
        got = model.generator(torch.from_numpy(data["z"])).reshape(len(data["z"]), -1).numpy()
    return got, data["w"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("fixture, fmt, ref", [
    (SG2ADA, "stylegan2-ada-pytorch-mapping", "sg2ada_mapping_ref.npz"),
    (TF, "stylegan2-tf-mapping", "tf_mapping_ref.npz"),
])
def test_zoo_convert_matches_the_reference_outputs(tmp_path, capsys, fixture, fmt, ref):
    out = tmp_path / "converted"
    assert main(["convert", str(fixture), "--format", fmt, "-o", str(out)]) == 0
    assert f"sha256 {sha(fixture)}" in capsys.readouterr().out
    got, want = outputs(zoo.load(f"local-dir:{out}"), FIXTURES / ref)
    assert np.abs(got - want).max() <= 1e-4
    assert np.abs(want).max() > 0.05  # the reference outputs are not trivially zero


def test_zoo_convert_lists_formats_and_suggests_close_ones(tmp_path, capsys):
    assert main(["convert", "--list"]) == 0
    listed = capsys.readouterr().out
    assert "stylegan2-ada-pytorch-mapping" in listed and "stylegan2-tf-mapping" in listed
    assert main(["convert", str(TF), "--format", "stylegan2-tf-maping", "-o", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("zoo: error: unknown format 'stylegan2-tf-maping'") and "stylegan2-tf-mapping" in err
    assert len(err.splitlines()) == 1


def test_official_load_downloads_converts_and_caches(catalog, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    with FileServer({"/nvlabs/snapshot.pkl": SG2ADA.read_bytes()}) as server:
        add_official(catalog, "tinymap.sg2ada", server.url + "/nvlabs/", sha(SG2ADA))
        model = zoo.load("tinymap.sg2ada")
        assert [r[0] for r in server.requests] == ["/nvlabs/snapshot.pkl"]
    got, want = outputs(model, FIXTURES / "sg2ada_mapping_ref.npz")
    assert np.abs(got - want).max() <= 1e-4
    folder = Path(model.metadata["folder"])
    hf_home = Path(official.cache_root()).parent.parent
    assert folder == hf_home / "genzoo" / "official" / "converted" / "tinymap-sg2ada" / sha(SG2ADA)
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "generator.safetensors"]
    saved = json.loads((folder / "config.json").read_text())
    assert saved["architecture"] == "tinymap" and saved["components"] == {"generator": "generator.safetensors"}
    card = (folder / "README.md").read_text()
    assert sha(SG2ADA) in card and "tinymap-sg2ada" in card and server.url + "/nvlabs/" in card

    # the second load: no official file, no network (offline, server gone), no pickle read at all
    for downloaded in (official.cache_root() / "files").rglob("snapshot.pkl"):
        downloaded.unlink()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def no_pickles(*args, **kwargs):
        raise AssertionError("a pickle was read")

    monkeypatch.setattr("zoo.readers.nvlabs_pickle.read_nvlabs_pickle", no_pickles)
    monkeypatch.setattr(official_plugin, "read_nvlabs_pickle", no_pickles)
    again = zoo.load("tinymap.sg2ada")
    assert np.abs(outputs(again, FIXTURES / "sg2ada_mapping_ref.npz")[0] - got).max() == 0


def test_tampered_download_is_refused_and_removed(catalog, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    with FileServer({"/f/snapshot.pkl": SG2ADA.read_bytes()}) as server:
        server.tamper = True
        add_official(catalog, "tinymap.tampered", server.url + "/f", sha(SG2ADA))
        with pytest.raises(ChecksumError, match="sha256 mismatch.*removed"):
            zoo.load("tinymap.tampered")
    assert [p.name for p in official.cache_root().rglob("*") if p.is_file()] == []


def test_an_interrupted_download_resumes_with_a_range_request(catalog, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    body = SG2ADA.read_bytes()
    with FileServer({"/f/snapshot.pkl": body}) as server:
        add_official(catalog, "tinymap.resumed", server.url + "/f", sha(SG2ADA))
        server.cut_next_after = 1000
        with pytest.raises(WeightsNotFoundError, match="resumes"):
            zoo.load("tinymap.resumed")
        part, = official.cache_root().rglob("snapshot.pkl.part")
        assert part.read_bytes() == body[:1000]
        model = zoo.load("tinymap.resumed")
        assert server.requests == [("/f/snapshot.pkl", None), ("/f/snapshot.pkl", "bytes=1000-")]
    assert not part.exists()
    got, want = outputs(model, FIXTURES / "sg2ada_mapping_ref.npz")
    assert np.abs(got - want).max() <= 1e-4


def test_unpinned_file_needs_an_opt_in_and_prints_its_hash(catalog, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv(official.TRUST_ENV, "0")  # (not delenv: it would not restore what main() sets)
    with FileServer({"/f/G.pkl": TF.read_bytes()}) as server:
        add_official(catalog, "tinymap.unpinned", server.url + "/f", None, filename="G.pkl", converter="tinymap-tf")
        with pytest.raises(UnpinnedFileError, match="trust_unpinned=True.*GENZOO_TRUST_UNPINNED=1"):
            zoo.load("tinymap.unpinned")
        assert server.requests == []  # refused before any download
        model = zoo.load("tinymap.unpinned", trust_unpinned=True)
        assert f"its sha256 is {sha(TF)}" in capsys.readouterr().err
        monkeypatch.setenv(official.TRUST_ENV, "1")
        zoo.load("tinymap.unpinned")
        assert f"its sha256 is {sha(TF)}" in capsys.readouterr().err
    got, want = outputs(model, FIXTURES / "tf_mapping_ref.npz")
    assert np.abs(got - want).max() <= 1e-4


def test_cli_flag_trusts_unpinned_files(catalog, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv(official.TRUST_ENV, "0")  # (not delenv: it would not restore what main() sets)
    with FileServer({"/f/G.pkl": TF.read_bytes()}) as server:
        monkeypatch.setenv("HF_HUB_OFFLINE", "0")
        add_official(catalog, "tinymap.unpinned", server.url + "/f", None, filename="G.pkl", converter="tinymap-tf")
        assert main(["generate", "tinymap.unpinned", "-n", "1", "-o", str(tmp_path / "a.png")]) == 2
        assert "GENZOO_TRUST_UNPINNED" in capsys.readouterr().err
        assert main(["--trust-unpinned", "generate", "tinymap.unpinned", "-n", "1", "-o",
                     str(tmp_path / "a.png")]) == 0
        assert sha(TF) in capsys.readouterr().err


def test_offline_without_the_file_names_it(catalog):
    add_official(catalog, "tinymap.absent", "https://example.invalid/files", sha(SG2ADA))
    with pytest.raises(WeightsNotFoundError, match="snapshot.pkl is not in the cache and HF_HUB_OFFLINE is set"):
        zoo.load("tinymap.absent")


def test_unknown_converter_is_a_clear_error(catalog, monkeypatch):
    add_official(catalog, "tinymap.typo", "https://example.invalid/files", sha(SG2ADA), converter="tinymap-sg2adaa")
    with pytest.raises(UnknownNameError, match="unknown converter 'tinymap-sg2adaa'. Did you mean: tinymap-sg2ada"):
        zoo.load("tinymap.typo")


def test_official_file_on_the_hub_goes_through_hf_hub_download(catalog, tmp_path, monkeypatch):
    from hub_server import FakeRepo, HubServer
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    source = {"repo_id": "nvlabs-mirror/tinymap", "converter": "tinymap-tf",
              "files": {"checkpoint": {"filename": "tf_mapping.pkl", "sha256": sha(TF)}}}
    ws, = registry.parse_registry({"tinymap.hub": {"architecture": "tinymap", "source": source}}, origin="test")
    catalog.by_kind["weight set"][ws.name] = ws
    with HubServer({"nvlabs-mirror/tinymap": FakeRepo(files={"tf_mapping.pkl": TF.read_bytes()})}) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        model = zoo.load("tinymap.hub")
        assert any("tf_mapping.pkl" in path for _, path in server.requests)
    got, want = outputs(model, FIXTURES / "tf_mapping_ref.npz")
    assert np.abs(got - want).max() <= 1e-4
    assert "https://huggingface.co/nvlabs-mirror/tinymap" in (Path(model.metadata["folder"]) / "README.md").read_text()
