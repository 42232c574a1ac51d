"""Weights from the Hub: the real huggingface_hub client against a loopback server, the real cache,
offline mode, checksums, the shipped fallback, and the save/load round trip."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
import yaml

import zoo
from zoo import hub, registry
from zoo.errors import ChecksumError, RegistryError, UnknownNameError, WeightsNotFoundError

from hub_server import FakeRepo, HubServer

REPO = "genzoo-test/dcgan-tiny"


@pytest.fixture
def saved(tmp_path):
    """A tiny DCGAN saved in the Hub layout, and a weight-set record pointing at REPO."""
    torch.manual_seed(0)
    model = zoo.create("dcgan", config=dict(registry.catalog().architecture("dcgan").test_config)).eval()
    folder = hub.save_pretrained(model, tmp_path / "saved", card={"dataset": "none"})
    return model, folder


def _register(folder: Path, shipped: str | None = None, name: str = "dcgan.test-tiny"):
    entry = {name: {"architecture": "dcgan", "source": {"repo_id": REPO, "revision": "main",
                                                       "files": hub.file_hashes(folder)}}}
    if shipped:
        entry[name]["shipped"] = shipped
    ws, = registry.parse_registry(entry, origin="test")
    cat = registry.catalog()
    cat.by_kind["weight set"][ws.name] = ws
    return ws


@pytest.fixture(autouse=True)
def _fresh_catalog():
    registry.reset()
    yield
    registry.reset()


def _same_outputs(a, b) -> bool:
    z = a.generator.latent.sample(4, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return torch.equal(a.generator(z), b.generator(z))


def test_download_verify_and_offline_reuse(hf, saved):
    model, folder = saved
    _register(folder)
    with HubServer({REPO: FakeRepo.from_folder(folder)}) as server:
        hf.online(server.url)
        loaded = zoo.load("dcgan.test-tiny")
        assert any(path.endswith("generator.safetensors") for _, path in server.requests)
    assert _same_outputs(model, loaded)
    assert Path(loaded.metadata["folder"]).is_relative_to(hf.cache_dir)
    # the server is gone: offline mode answers from the real cache
    hf.offline()
    again = zoo.load("dcgan.test-tiny")
    assert _same_outputs(model, again)


def test_tampered_file_is_refused_and_not_left_in_cache(hf, saved):
    _, folder = saved
    _register(folder)
    repo = FakeRepo.from_folder(folder)
    good = repo.files["generator.safetensors"]
    repo.files["generator.safetensors"] = good[:-8] + bytes(8)  # same size, different bytes
    with HubServer({REPO: repo}) as server:
        hf.online(server.url)
        with pytest.raises(ChecksumError, match="sha256 mismatch"):
            zoo.load("dcgan.test-tiny")
        cached = [p for p in hf.cache_dir.rglob("*") if p.is_file() and p.read_bytes() == repo.files["generator.safetensors"]]
        assert cached == []
        assert not any(p.name == "generator.safetensors" for p in hf.cache_dir.rglob("*"))
        # the server is fixed: the next load downloads the good file
        repo.files["generator.safetensors"] = good
        zoo.load("dcgan.test-tiny")


def test_corrupted_cache_file_is_downloaded_again(hf, saved):
    _, folder = saved
    _register(folder)
    with HubServer({REPO: FakeRepo.from_folder(folder)}) as server:
        hf.online(server.url)
        loaded = zoo.load("dcgan.test-tiny")
        blob = Path(os.path.realpath(Path(loaded.metadata["folder"]) / "generator.safetensors"))
        blob.write_bytes(b"\0" * blob.stat().st_size)  # bit rot in the cache
        zoo.load("dcgan.test-tiny")
        assert hub.sha256_of(blob) == hub.file_hashes(folder)["generator"]["sha256"]


def test_offline_without_cache_uses_shipped_copy_or_says_why(hf, saved, tmp_path, monkeypatch):
    model, folder = saved
    _register(folder, name="dcgan.test-unshipped")
    with pytest.raises(WeightsNotFoundError, match="could not get"):
        zoo.load("dcgan.test-unshipped")
    # a "package" holding a shipped copy
    pkg = tmp_path / "pkgroot" / "shipped_pkg"
    (pkg / "weights").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    import shutil

    shutil.copytree(folder, pkg / "weights" / "tiny")
    monkeypatch.syspath_prepend(str(tmp_path / "pkgroot"))
    _register(folder, shipped="shipped_pkg:weights/tiny", name="dcgan.test-shipped")
    assert _same_outputs(model, zoo.load("dcgan.test-shipped"))
    # the shipped copy is checked too
    (pkg / "weights" / "tiny" / "generator.safetensors").write_bytes(b"tampered")
    with pytest.raises(ChecksumError):
        zoo.load("dcgan.test-shipped")


def test_shipped_copy_is_used_without_going_to_the_network(hf, saved, tmp_path, monkeypatch):
    model, folder = saved
    pkg = tmp_path / "pkgroot" / "shipped_pkg2"
    import shutil

    shutil.copytree(folder, pkg / "weights")
    (pkg / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path / "pkgroot"))
    _register(folder, shipped="shipped_pkg2:weights")
    with HubServer({}) as server:  # the repo is not on this Hub
        hf.online(server.url)
        assert _same_outputs(model, zoo.load("dcgan.test-tiny"))
        assert server.requests == []  # same sha256s as the Hub repo: no request needed


def test_hf_hub_name_with_revision(hf, saved):
    model, folder = saved
    repo = FakeRepo.from_folder(folder, revisions={"v1": "0123456789abcdef0123456789abcdef01234567"})
    with HubServer({"someone/tiny-dcgan": repo}) as server:
        hf.online(server.url)
        assert _same_outputs(model, zoo.load("hf-hub:someone/tiny-dcgan@v1"))
        with pytest.raises(Exception, match="(?i)revision"):
            zoo.load("hf-hub:someone/tiny-dcgan@nope")
    with pytest.raises(RegistryError, match="hf-hub:org/repo"):
        zoo.load("hf-hub:not-a-repo-id")


def test_local_dir_and_round_trip(saved, tmp_path):
    model, folder = saved
    loaded = zoo.load(f"local-dir:{folder}")
    assert _same_outputs(model, loaded)
    assert (folder / "README.md").read_text().startswith("---")
    with pytest.raises(WeightsNotFoundError, match="config.json"):
        zoo.load(f"local-dir:{tmp_path / 'nothing-here'}")


def test_save_pretrained_keeps_other_files_and_replaces_atomically(saved):
    model, folder = saved
    (folder / "log.jsonl").write_text("{}\n")
    hub.save_pretrained(model, folder)
    assert (folder / "log.jsonl").exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(".genzoo-save-")]


def test_push_to_hub_uploads_the_folder(saved):
    _, folder = saved
    calls = []

    class FakeApi:
        def create_repo(self, repo_id, **kw):
            calls.append(("create_repo", repo_id, kw))

        def upload_folder(self, **kw):
            calls.append(("upload_folder", kw["repo_id"], kw))
            return type("Info", (), {"commit_url": "http://hub/commit/1"})()

    url = hub.push_to_hub(folder, "me/tiny", api=FakeApi())
    assert url == "http://hub/commit/1"
    assert calls[0][:2] == ("create_repo", "me/tiny")
    assert calls[1][2]["folder_path"] == str(folder)
    assert "checkpoints/*" in calls[1][2]["ignore_patterns"]  # training leftovers stay local
    with pytest.raises(WeightsNotFoundError):
        hub.push_to_hub(folder.parent, "me/tiny", api=FakeApi())


def test_unknown_names_suggest_close_ones():
    with pytest.raises(UnknownNameError, match="dcgan"):
        zoo.load("dcgn")
    with pytest.raises(UnknownNameError, match="Did you mean"):
        zoo.create("dcgam")


@pytest.mark.parametrize("entry, message", [
    ({"dcgan": {}}, "architecture.tag"),
    ({"dcgan.x": {"architecture": "dcgan"}}, "'source' is required"),
    ({"dcgan.x": {"architecture": "gan", "source": {}}}, "name says 'dcgan'"),
    ({"dcgan.x": {"architecture": "dcgan", "source": {"repo_id": "norepo"}}}, "source.repo_id"),
    ({"dcgan.x": {"architecture": "dcgan", "source": {"repo_id": "a/b", "files": {"config": {"filename": "c"}}}}},
     "source.files.config"),
    ({"dcgan.x": {"architecture": "dcgan", "source": {"repo_id": "a/b", "files": {
        "config": {"filename": "c", "sha256": "xyz"}}}}}, "not a sha256"),
    ({"dcgan.x": {"architecture": "dcgan", "colour": 1, "source": {}}}, "unknown field"),
])
def test_registry_errors_name_entry_and_field(entry, message):
    with pytest.raises(RegistryError, match=message) as info:
        registry.parse_registry(entry)
    assert "entry" in str(info.value) or "architecture.tag" in str(info.value)


def test_shipped_registry_yaml_is_valid():
    data = yaml.safe_load(registry.registry_yaml_path().read_text())
    for ws in registry.parse_registry(data):
        assert ws.name in zoo.list_models(pretrained=True)
