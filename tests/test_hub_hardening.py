"""Hardening of weights I/O (issue 10): deletes confined to the cache, names checked before any I/O,
hostile and broken servers, short timeouts, partial downloads, offline with a corrupt cache, atomic
folder saves (killed at random moments) with byte-stable files, and one-line load errors."""
from __future__ import annotations

import errno
import hashlib
import json
import multiprocessing
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import zoo
from zoo import hub, registry
from zoo.errors import (CacheError, ChecksumError, HubUnavailableError, RegistryError, UnsafeNameError, WeightsFormatError,
                        WeightsNotFoundError, ZooError)
from zoo.hub import checksums, folder_swap, names

from hub_hostile import (COMMIT, ScriptedServer, StalledServer, closed_port_url, file_headers, tree_state)
from hub_server import FakeRepo, HubServer

REPO = "genzoo-test/dcgan-tiny"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fresh_catalog():
    registry.reset()
    yield
    registry.reset()

def tiny_model(seed: int = 0, **config):
    torch.manual_seed(seed)
    cfg = dict(registry.catalog().architecture("dcgan").test_config, **config)
    return zoo.create("dcgan", config=cfg).eval()


@pytest.fixture
def saved(tmp_path):
    model = tiny_model()
    return model, hub.save_pretrained(model, tmp_path / "saved", card={"dataset": "none"})


def register(folder: Path, name: str = "dcgan.test-tiny", shipped: str | None = None, files=None):
    entry = {name: {"architecture": "dcgan", "source": {"repo_id": REPO, "revision": "main",
                                                       "files": files or hub.file_hashes(folder)}}}
    if shipped:
        entry[name]["shipped"] = shipped
    ws, = registry.parse_registry(entry, origin="test")
    registry.catalog().by_kind["weight set"][ws.name] = ws
    return ws


def same_outputs(a, b) -> bool:
    z = a.generator.latent.sample(4, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return torch.equal(a.generator(z), b.generator(z))


def fake_snapshot(cache: Path, files: dict[str, object], repo: str = REPO) -> Path:
    """A cache entry for `repo` at main: `files` maps a name to bytes (a blob) or to a Path (a link)."""
    base = cache / ("models--" + repo.replace("/", "--"))
    snap = base / "snapshots" / COMMIT
    snap.mkdir(parents=True, exist_ok=True)
    (base / "blobs").mkdir(exist_ok=True)
    (base / "refs").mkdir(exist_ok=True)
    (base / "refs" / "main").write_text(COMMIT)
    for name, what in files.items():
        link = snap / name
        if isinstance(what, bytes):
            blob = base / "blobs" / hashlib.sha256(what).hexdigest()
            blob.write_bytes(what)
            link.symlink_to(os.path.relpath(blob, link.parent))
        else:
            link.symlink_to(what)
    return snap


# -- 1. deletes stay inside the cache -----------------------------------------------------------------
def test_a_failing_cached_link_out_of_the_cache_never_deletes_its_target(hf, saved, tmp_path, monkeypatch):
    model, folder = saved
    victim = tmp_path / "elsewhere" / "precious.bin"
    victim.parent.mkdir()
    victim.write_bytes(b"not yours")
    files = {n: (folder / n).read_bytes() for n in ("config.json", "README.md", "discriminator.safetensors")}
    files["generator.safetensors"] = victim  # a snapshot file linked out of the cache
    snap = fake_snapshot(hf.cache_dir, files)
    # a shipped copy would hide the failure: the load succeeds, but the victim must survive it
    pkg = tmp_path / "pkgroot" / "shipped_hard"
    shutil.copytree(folder, pkg / "weights")
    (pkg / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path / "pkgroot"))
    register(folder, shipped="shipped_hard:weights")
    assert same_outputs(model, zoo.load("dcgan.test-tiny"))
    assert victim.read_bytes() == b"not yours"
    assert not (snap / "generator.safetensors").is_symlink()  # the bad link itself is gone


def test_discard_removes_only_a_regular_blob_of_the_same_repo(hf, tmp_path):
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"x")
    other = fake_snapshot(hf.cache_dir, {"w.bin": b"other repo"}, repo="someone/else")
    other_blob = Path(os.path.realpath(other / "w.bin"))
    snap = fake_snapshot(hf.cache_dir, {"own.bin": b"own", "out.bin": outside, "cross.bin": other_blob,
                                        "dangling.bin": tmp_path / "missing"})
    own_blob = Path(os.path.realpath(snap / "own.bin"))
    assert checksums.discard_from_cache(snap / "own.bin") == [own_blob, snap / "own.bin"]
    assert checksums.discard_from_cache(snap / "out.bin") == [snap / "out.bin"]
    assert checksums.discard_from_cache(snap / "cross.bin") == [snap / "cross.bin"]
    assert checksums.discard_from_cache(snap / "dangling.bin") == [snap / "dangling.bin"]
    assert outside.exists() and other_blob.read_bytes() == b"other repo"
    # a snapshot folder that is itself a link out of the cache: nothing at all is removed
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "f.bin").write_bytes(b"keep")
    linked = hf.cache_dir / "models--a--b" / "snapshots"
    linked.mkdir(parents=True)
    (linked / COMMIT).symlink_to(tmp_path / "evil")
    assert checksums.discard_from_cache(linked / COMMIT / "f.bin") == []
    assert (tmp_path / "evil" / "f.bin").read_bytes() == b"keep"
    # a path that is not in the cache at all
    assert checksums.discard_from_cache(outside) == [] and outside.exists()


# -- 2. names are checked before any I/O ---------------------------------------------------------------
@pytest.mark.parametrize("name", [
    "hf-hub:org/repo@../../../../tmp/x", "hf-hub:org/repo@/etc", "hf-hub:org/repo@a\\b", "hf-hub:org/repo@a\nb",
    "hf-hub:org/repo@refs/../../x", "hf-hub:org/repo@.hidden", "hf-hub:org/repo@x.lock", "hf-hub:org/repo@a b",
    "hf-hub:org/repo@", "hf-hub:../repo", "hf-hub:org/..", "hf-hub:org/re--po", "hf-hub:org/repo.git",
    "hf-hub:-org/repo", "hf-hub:org/rep\u00f6", "hf-hub:" + "a" * 50 + "/" + "b" * 50, "hf-hub:org/repo/extra",
])
def test_unsafe_hf_hub_names_are_refused_before_any_request(hf, name, tmp_path):
    before = tree_state(tmp_path)
    with ScriptedServer(lambda m, p: (500, {}, b"")) as server:
        hf.online(server.url)
        with pytest.raises(UnsafeNameError):
            zoo.load(name)
        assert server.requests == []
    assert tree_state(tmp_path) == before


@pytest.mark.parametrize("revision", ["main", "v1.0", "refs/pr/1", "release/2024-01", COMMIT])
def test_ordinary_revisions_are_accepted(revision):
    assert names.parse_hf_hub(f"hf-hub:org/repo@{revision}").revision == revision


@pytest.mark.parametrize("filename", ["../x", "a/../../x", "/etc/passwd", "a\\b", "", "a//b", "./a", "C:x"])
def test_unsafe_filenames_are_refused(filename):
    with pytest.raises(UnsafeNameError):
        names.check_filename(filename)


def test_a_config_naming_a_file_outside_the_repo_is_refused(hf, saved, tmp_path):
    _, folder = saved
    config = json.loads((folder / "config.json").read_text())
    config["components"]["generator"] = "../../../../outside.safetensors"
    repo = FakeRepo.from_folder(folder)
    repo.files["config.json"] = json.dumps(config).encode()
    with HubServer({"someone/evil": repo}) as server:
        hf.online(server.url)
        with pytest.raises(RegistryError, match="generator.*must be a relative path inside"):
            zoo.load("hf-hub:someone/evil")
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(RegistryError, match="must be a relative path inside"):
        zoo.load(f"local-dir:{folder}")


# -- hostile and broken servers ------------------------------------------------------------------------
def hostile_repo(folder: Path, **overrides):
    """Answers for a repo served from `folder`, with header overrides per file name."""
    def answer(method, path):
        filename = path.split("?")[0].split("/resolve/main/")[-1]
        content = (folder / filename).read_bytes() if (folder / filename).is_file() else None
        if content is None:
            return 404, {"X-Error-Code": "EntryNotFound"}, b"{}"
        headers = file_headers(content, lfs=filename.endswith(".safetensors"))
        headers.update(overrides.get(filename, {}))
        return 200, headers, content
    return answer


@pytest.mark.parametrize("override", [
    {"ETag": '"../../../../../outside-blob"', "X-Linked-Etag": '"../../../../../outside-blob"'},
    {"ETag": '"..\\\\x"'},
    {"X-Repo-Commit": "../../../../../outside-snapshot"},
    {"X-Repo-Commit": "not-a-sha"},
])
def test_a_server_answer_naming_paths_outside_the_cache_is_refused(hf, saved, tmp_path, override):
    _, folder = saved
    before = tree_state(tmp_path, exclude=(hf.cache_dir,))
    with ScriptedServer(hostile_repo(folder, **{"config.json": override})) as server:
        hf.online(server.url)
        with pytest.raises(HubUnavailableError, match="refused") as info:
            zoo.load("hf-hub:someone/evil")
    assert "\n" not in str(info.value)
    assert tree_state(tmp_path, exclude=(hf.cache_dir,)) == before
    assert not [p for p in hf.cache_dir.rglob("*") if p.is_file()]  # the client wrote nothing at all


def test_redirect_loops_and_redirects_to_nowhere_are_one_line_errors(hf, tmp_path):
    def loop(method, path):
        return 302, {"Location": path}, b""

    def nowhere(method, path):
        return 302, {"Location": "/nothing/here"} if "resolve" in path else {"X-Error-Code": "EntryNotFound"}, b""

    for answer in (loop, nowhere):
        with ScriptedServer(answer) as server:
            hf.online(server.url)
            with pytest.raises(ZooError) as info:
                zoo.load("hf-hub:someone/redirects")
        assert "\n" not in str(info.value) and "someone/redirects" in str(info.value)


def test_a_stalled_or_missing_server_fails_with_a_hint_to_go_offline(hf):
    with StalledServer() as server:
        hf.online(server.url)
        with pytest.raises(HubUnavailableError, match="HF_HUB_OFFLINE=1"):
            zoo.load("hf-hub:nobody/nothing")
    hf.online(closed_port_url())
    with pytest.raises(HubUnavailableError, match="could not reach"):
        zoo.load("hf-hub:nobody/nothing")
    hf.offline()
    with pytest.raises(HubUnavailableError, match="not in the local cache"):
        zoo.load("hf-hub:nobody/nothing")


def test_short_timeouts_are_set_unless_the_user_chose_them(monkeypatch):
    import huggingface_hub.constants as constants
    from zoo.hub import hub_errors

    monkeypatch.delenv("HF_HUB_ETAG_TIMEOUT", raising=False)
    monkeypatch.setenv("HF_HUB_DOWNLOAD_TIMEOUT", "33")
    monkeypatch.setattr(constants, "HF_HUB_ETAG_TIMEOUT", 10)
    monkeypatch.setattr(constants, "HF_HUB_DOWNLOAD_TIMEOUT", 10)
    hub_errors.use_short_timeouts()
    assert constants.HF_HUB_ETAG_TIMEOUT == 5 and constants.HF_HUB_DOWNLOAD_TIMEOUT == 33


def test_the_cache_stands_in_when_the_network_is_down(hf, saved):
    model, folder = saved
    register(folder)
    with HubServer({REPO: FakeRepo.from_folder(folder)}) as server:
        hf.online(server.url)
        zoo.load("dcgan.test-tiny")
    hf.online(closed_port_url())  # online, but nobody answers: the verified cache is used
    assert same_outputs(model, zoo.load("dcgan.test-tiny"))


# -- 6. partial downloads, disk full, corrupt cache offline ----------------------------------------------
def test_a_truncated_download_leaves_nothing_a_later_run_trusts(hf, saved):
    model, folder = saved
    good = folder / "generator.safetensors"

    def truncated(method, path):
        answer = hostile_repo(folder)(method, path)
        if "generator" in path and method == "GET":
            status, headers, body = answer
            return status, headers, body[: len(body) // 2]  # Content-Length promises more
        return answer

    with ScriptedServer(truncated) as server:
        hf.online(server.url)
        with pytest.raises(ZooError) as info:
            zoo.load("hf-hub:someone/flaky")
    assert "\n" not in str(info.value)
    blobs = list(hf.cache_dir.rglob("blobs/*"))
    assert not [b for b in blobs if b.name.endswith(".incomplete")]
    assert all(hub.sha256_of(b) == b.name for b in blobs if len(b.name) == 64)  # no LFS blob is half a file
    assert hashlib.sha256(good.read_bytes()).hexdigest() not in [b.name for b in blobs]
    with HubServer({"someone/flaky": FakeRepo.from_folder(folder)}) as server:  # the server is fixed
        hf.online(server.url)
        assert same_outputs(model, zoo.load("hf-hub:someone/flaky"))


def test_a_full_disk_during_a_download_is_one_line_and_leaves_no_partial_file(hf, saved, monkeypatch):
    from huggingface_hub import file_download

    model, folder = saved
    register(folder)
    real_http_get = file_download.http_get

    def disk_full(url, temp_file, *args, **kwargs):
        temp_file.write(b"\0" * 100)
        temp_file.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(file_download, "http_get", disk_full)
    with HubServer({REPO: FakeRepo.from_folder(folder)}) as server:
        hf.online(server.url)
        with pytest.raises(HubUnavailableError, match="full") as info:
            zoo.load("dcgan.test-tiny")
        assert info.value.exit_code == 1
        assert not [p for p in hf.cache_dir.rglob("*") if p.name.endswith(".incomplete")]
        monkeypatch.setattr(file_download, "http_get", real_http_get)
        assert same_outputs(model, zoo.load("dcgan.test-tiny"))


def test_offline_with_a_corrupt_cache_says_so_and_how_to_fix_it(hf, saved):
    _, folder = saved
    register(folder)
    with HubServer({REPO: FakeRepo.from_folder(folder)}) as server:
        hf.online(server.url)
        loaded = zoo.load("dcgan.test-tiny")
    blob = Path(os.path.realpath(Path(loaded.metadata["folder"]) / "generator.safetensors"))
    blob.write_bytes(b"\0" * blob.stat().st_size)
    hf.offline()
    with pytest.raises(CacheError, match="corrupt.*HF_HUB_OFFLINE") as info:
        zoo.load("dcgan.test-tiny")
    assert "force_download" not in str(info.value)


# -- 3. save_pretrained is atomic per folder, and byte-stable ---------------------------------------------
SAVE_TWICE = """
import sys, torch, zoo
from zoo import hub, registry
torch.manual_seed(0)
m = zoo.create("dcgan", config=dict(registry.catalog().architecture("dcgan").test_config)).eval()
hub.save_pretrained(m, sys.argv[1], card={"dataset": "none"})
"""


def test_saving_the_same_weights_twice_gives_the_same_bytes(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")])}
    digests = []
    for run in range(2):  # separate processes: the library's map order differed between processes
        out = tmp_path / f"run{run}"
        subprocess.run([sys.executable, "-c", SAVE_TWICE, str(out)], check=True, env=env, timeout=300)
        digests.append({p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()})
    assert digests[0] == digests[1] and "generator.safetensors" in digests[0]
    # the header's keys are sorted, the format's 8-byte padding is kept, the library reads it back
    raw = (tmp_path / "run0" / "generator.safetensors").read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + size])
    assert list(header) == sorted(header) and size % 8 == 0
    assert header["__metadata__"] == {"format": "pt", "genzoo.role": "generator"}
    assert zoo.load(f"local-dir:{tmp_path / 'run0'}") is not None


def test_a_save_keeps_training_files_and_drops_old_components(tmp_path):
    folder = tmp_path / "out"
    model = tiny_model()
    hub.save_pretrained(model, folder)
    (folder / "log.jsonl").write_text("{}\n")
    (folder / "checkpoints").mkdir()
    (folder / "checkpoints" / "last.pt").write_bytes(b"ckpt")
    (folder / "samples").mkdir()
    (folder / "samples" / "a.png").write_bytes(b"png")
    (folder / "old-role.safetensors").write_bytes(b"x")
    config = json.loads((folder / "config.json").read_text())
    config["components"]["old-role"] = "old-role.safetensors"
    (folder / "config.json").write_text(json.dumps(config))
    del model.components["discriminator"]
    hub.save_pretrained(model, folder)
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "checkpoints", "config.json",
                                                       "generator.safetensors", "log.jsonl", "samples"]
    assert (folder / "checkpoints" / "last.pt").read_bytes() == b"ckpt"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging or old folder left beside


def test_a_save_interrupted_between_the_two_renames_is_recovered_on_load(tmp_path):
    model = tiny_model()
    folder = hub.save_pretrained(model, tmp_path / "m")
    aside = tmp_path / ".genzoo-old-m.abcd1234"
    os.rename(folder, aside)  # what a kill right after the first rename leaves
    (tmp_path / ".genzoo-save-m.efgh5678").mkdir()  # and an unfinished staging folder
    (tmp_path / ".genzoo-save-m.b.ijkl9012").mkdir()  # another folder's ("m.b") staging: not ours
    assert same_outputs(model, zoo.load(f"local-dir:{folder}"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [".genzoo-save-m.b.ijkl9012", "m"]


def _save_forever(folder: str, use_exchange: bool, conn) -> None:
    """Child process: save model A and model B (different configs) in turn until killed."""
    if not use_exchange:
        folder_swap._renameat2_exchange = lambda: None
    models = [tiny_model(1), tiny_model(2, g_width=16)]
    conn.send("ready")
    i = 0
    while True:
        hub.save_pretrained(models[i % 2], folder)
        i += 1


def test_saves_killed_at_random_moments_leave_a_whole_folder_that_loads(tmp_path):
    """30 SIGKILLs during back-to-back saves of two models with different configs: after each, the
    folder (recovered by the next load) is wholly one of the two saves and loads."""
    a, b = tiny_model(1), tiny_model(2, g_width=16)
    folder = tmp_path / "model"
    hashes = []
    for model in (a, b):
        reference = tmp_path / f"ref-{len(hashes)}"
        hub.save_pretrained(model, reference)
        hashes.append({n: hub.sha256_of(reference / n) for n in ("config.json", "README.md",
                                                                 "generator.safetensors", "discriminator.safetensors")})
    hub.save_pretrained(a, folder)
    (folder / "log.jsonl").write_text("{}\n")
    started = time.perf_counter()
    hub.save_pretrained(a, folder)
    one_save = time.perf_counter() - started  # only to spread the kill moments, never asserted
    rng = random.Random(10)
    ctx = multiprocessing.get_context("fork")
    seen = set()
    for kill in range(30):
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_save_forever, args=(str(folder), kill % 2 == 0, child))
        proc.start()
        assert parent.recv() == "ready"
        time.sleep(rng.uniform(0, 3 * one_save))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        loaded = zoo.load(f"local-dir:{folder}")  # recovers what the killed save left
        now = {n: hub.sha256_of(folder / n) for n in hashes[0]}
        assert now in hashes, f"kill {kill}: a mixed folder"
        seen.add(hashes.index(now))
        expected = a if now == hashes[0] else b
        assert same_outputs(expected, loaded)
        assert (folder / "log.jsonl").read_text() == "{}\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "ref-0", "ref-1"]
    assert seen == {0, 1}  # both the old and the new folder were caught


# -- 5. load errors are one line naming role and key --------------------------------------------------------
def _rewrite(path: Path, tensors: dict) -> None:
    from safetensors.torch import save_file

    save_file(tensors, str(path))


def test_wrong_shapes_missing_extra_keys_and_truncation_are_one_line_errors(saved):
    from safetensors.torch import load_file

    _, folder = saved
    path = folder / "generator.safetensors"
    good = load_file(str(path))
    key = sorted(good)[0]
    cases = [
        ({**good, key: torch.zeros(3, 3, 3)}, f"'{key}' has shape \\[3, 3, 3\\]"),
        ({k: v for k, v in good.items() if k != key}, f"lacks '{key}'"),
        ({**good, "surplus.weight": torch.zeros(1)}, "holds 'surplus.weight'"),
    ]
    for tensors, message in cases:  # checked against the file headers before anything is built
        _rewrite(path, tensors)
        with pytest.raises(WeightsFormatError, match=f"generator.*{message}") as info:
            zoo.load(f"local-dir:{folder}")
        assert "\n" not in str(info.value)
    _rewrite(path, good)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - 10])
    with pytest.raises(WeightsFormatError, match="generator.*truncated"):
        zoo.load(f"local-dir:{folder}")


def test_a_tampered_registry_download_is_a_runtime_error(hf, saved):
    _, folder = saved
    register(folder)
    repo = FakeRepo.from_folder(folder)
    repo.files["generator.safetensors"] = b"\0" * len(repo.files["generator.safetensors"])
    with HubServer({REPO: repo}) as server:
        hf.online(server.url)
        with pytest.raises(ChecksumError) as info:
            zoo.load("dcgan.test-tiny")
    assert info.value.exit_code == 1


def test_push_offline_is_one_line(saved, hf):
    _, folder = saved
    with pytest.raises(HubUnavailableError, match="HF_HUB_OFFLINE"):
        hub.push_to_hub(folder, "me/tiny")
    with pytest.raises(UnsafeNameError):
        hub.push_to_hub(folder, "me/../tiny")


def test_missing_weights_are_not_found_errors(tmp_path):
    with pytest.raises(WeightsNotFoundError):
        zoo.load(f"local-dir:{tmp_path}")
