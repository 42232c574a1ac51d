"""Hostile input, fuzzed with hypothesis (issue 10): `hf-hub:` names with random revisions and file
names, config.json and safetensors headers and truncations fed to `zoo.load` through `local-dir:`,
symlink tricks in a fake Hugging Face cache, hostile server answers; and the `zoo` command's one-line
errors. For every case: a ZooError (or, through the CLI, one `zoo: error:` line and exit code 2 or 1,
no traceback), nothing written outside the cache or the test's folder, nothing lost (a good cached
file or a saved folder still loads).

Every case tried is counted in TRIED; the module's teardown prints the counts and checks that each
fuzzed family that ran tried at least its share. Examples are bounded to keep the file near 30 s.
"""
from __future__ import annotations

import hashlib
import json
import os
import posixpath
import shutil
import struct
import sys
from collections import Counter
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zoo
import zoo.cli.main  # noqa: F401  (sys.modules['zoo.cli.main']: zoo.cli.main is also a function's name)
from zoo import hub, registry
from zoo.errors import UnsafeNameError, ZooError
from zoo.hub import names

from hub_hostile import COMMIT, ScriptedServer, file_headers, tree_state
from hub_server import FakeRepo, HubServer

TRIED: Counter = Counter()
AT_LEAST = {"revision": 300, "filename": 300, "repo id": 300, "hf-hub name": 60, "hf-hub revision online": 25,
            "config.json": 60, "safetensors": 80, "cache symlinks": 30, "server answer": 30}
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
REPO = "genzoo-test/dcgan-tiny"


def fuzz(max_examples: int) -> settings:
    return settings(FUZZ, max_examples=max_examples)


@pytest.fixture(scope="module", autouse=True)
def _count_report():
    yield
    print("\nhostile cases tried: " + ", ".join(f"{k}={v}" for k, v in sorted(TRIED.items())))
    short = {k: v for k, v in TRIED.items() if v < AT_LEAST.get(k, 0)}
    assert not short, f"fuzzing tried fewer cases than planned: {short}"


@pytest.fixture(autouse=True)
def _fresh_catalog():
    registry.reset()
    yield
    registry.reset()


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A tiny saved DCGAN (folder, bytes of each file) and the model."""
    torch.manual_seed(0)
    model = zoo.create("dcgan", config=dict(registry.catalog().architecture("dcgan").test_config)).eval()
    folder = hub.save_pretrained(model, tmp_path_factory.mktemp("good") / "saved")
    registry.reset()
    return folder, {p.name: p.read_bytes() for p in folder.iterdir()}, model


def expect_zoo_error_or_load(name: str):
    """Loading `name` either works or raises a one-line ZooError; anything else fails the test."""
    try:
        return zoo.load(name)
    except ZooError as exc:
        assert "\n" not in str(exc), str(exc)
        return None


def outputs(model):
    z = model.generator.latent.sample(2, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return model.generator(z)


# -- names -------------------------------------------------------------------------------------------------
NAMEY = st.one_of(st.text(alphabet=st.sampled_from(list("ab1./\\-_~^:@{}% \n\t\x00\x7fé")), max_size=24),
                  st.text(max_size=24), st.sampled_from(["..", "../x", "a/../b", "/abs", "refs/pr/1", "v1.0", "main",
                                                         "x.lock", ".x", "a//b", "@", "a@{b", COMMIT]))


@fuzz(300)
@given(NAMEY)
def test_accepted_revisions_stay_inside_refs(revision):
    TRIED["revision"] += 1
    try:
        names.check_revision(revision)
    except UnsafeNameError:
        return
    refs = "/cache/repo/refs"
    assert posixpath.normpath(posixpath.join(refs, revision)).startswith(refs + "/")
    assert revision.isascii() and revision.isprintable() and "\\" not in revision and ".." not in revision


@fuzz(300)
@given(NAMEY)
def test_accepted_filenames_stay_inside_the_snapshot(filename):
    TRIED["filename"] += 1
    try:
        names.check_filename(filename)
    except UnsafeNameError:
        return
    snap = "/cache/repo/snapshots/c"
    joined = posixpath.normpath(posixpath.join(snap, filename))
    assert joined.startswith(snap + "/") and "\\" not in filename
    assert all(ord(ch) >= 32 for ch in filename)


@fuzz(300)
@given(st.one_of(NAMEY, st.tuples(NAMEY, NAMEY).map("/".join)))
def test_accepted_repo_ids_are_two_plain_names(repo_id):
    TRIED["repo id"] += 1
    try:
        names.check_repo_id(repo_id)
    except UnsafeNameError:
        return
    org, name = repo_id.split("/")
    for part in (org, name):
        assert part and part[0].isalnum() and part[-1].isalnum() and part.isascii()
        assert set(part) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    assert ".." not in repo_id and "--" not in repo_id


@FUZZ
@given(NAMEY, NAMEY)
def test_fuzzed_hf_hub_names_offline_are_clear_errors_and_write_nothing(hf, tmp_path, repo, revision):
    TRIED["hf-hub name"] += 1
    before = tree_state(tmp_path)
    assert expect_zoo_error_or_load(f"hf-hub:{repo}@{revision}") is None
    assert expect_zoo_error_or_load(f"hf-hub:someone/{repo}") is None
    assert tree_state(tmp_path) == before


@fuzz(25)
@given(NAMEY)
def test_fuzzed_revisions_against_a_server_write_nothing_outside_the_cache(hf, tmp_path, good, revision):
    TRIED["hf-hub revision online"] += 1
    folder, _, model = good
    before = tree_state(tmp_path, exclude=(hf.cache_dir,))
    with HubServer({"someone/tiny": FakeRepo.from_folder(folder)}) as server:
        hf.online(server.url)
        loaded = expect_zoo_error_or_load(f"hf-hub:someone/tiny@{revision}")
    if loaded is not None:
        assert revision in ("main", COMMIT) and torch.equal(outputs(loaded), outputs(model))
    assert tree_state(tmp_path, exclude=(hf.cache_dir,)) == before


# -- config.json and safetensors through local-dir: --------------------------------------------------------
JSON = st.recursive(st.none() | st.booleans() | st.integers(-4, 40) | st.floats(allow_nan=True) | st.text(max_size=8),
                    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children,
                                                                                       max_size=3), max_leaves=8)
CONFIG_PATHS = [(), ("architecture",), ("config",), ("components",), ("components", "generator"),
                ("config", "resolution"), ("config", "g_width"), ("config", "latent_dim"), ("genzoo_format",),
                ("config", "unknown")]


def _set(doc, path, value):
    if not path:
        return value
    doc = dict(doc) if isinstance(doc, dict) else {}
    doc[path[0]] = _set(doc.get(path[0]), path[1:], value)
    return doc


def copy_good(good, where: Path) -> Path:
    folder = where / "model"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(good[0], folder)
    return folder


@FUZZ
@given(st.sampled_from(CONFIG_PATHS), JSON, st.sampled_from(["json", "bytes", "nested"]), st.binary(max_size=64))
def test_fuzzed_config_json_is_loaded_or_refused_clearly(tmp_path, good, path, value, form, raw):
    TRIED["config.json"] += 1
    folder = copy_good(good, tmp_path)
    config = json.loads(good[1]["config.json"])
    if form == "json":
        text = json.dumps(_set(config, path, value)).encode()
    elif form == "bytes":
        text = raw
    else:  # nested past any parser's patience
        text = b"[" * 100_000 + b"]" * 100_000
    (folder / "config.json").write_bytes(text)
    before = tree_state(tmp_path, exclude=(folder,))
    expect_zoo_error_or_load(f"local-dir:{folder}")
    assert tree_state(tmp_path, exclude=(folder,)) == before


def _header(raw: bytes) -> tuple[int, dict]:
    (size,) = struct.unpack("<Q", raw[:8])
    return size, json.loads(raw[8:8 + size])


@fuzz(80)
@given(st.sampled_from(["truncate", "length", "header", "flip", "entry"]), st.integers(0, 2**64 - 1),
       JSON, st.sampled_from(["dtype", "shape", "data_offsets"]))
def test_fuzzed_safetensors_are_loaded_or_refused_clearly(tmp_path, good, how, number, value, field):
    TRIED["safetensors"] += 1
    folder = copy_good(good, tmp_path)
    raw = good[1]["generator.safetensors"]
    size, header = _header(raw)
    if how == "truncate":
        data = raw[: number % len(raw)]
    elif how == "length":
        data = struct.pack("<Q", number) + raw[8:]
    elif how == "header":
        text = json.dumps(value).encode()
        data = struct.pack("<Q", len(text)) + text + raw[8 + size:]
    elif how == "flip":
        at = 8 + number % size
        data = raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1:]
    else:
        key = sorted(k for k in header if k != "__metadata__")[number % (len(header) - 1)]
        header[key][field] = value
        text = json.dumps(header).encode()
        data = struct.pack("<Q", len(text)) + text + raw[8 + size:]
    (folder / "generator.safetensors").write_bytes(data)
    loaded = expect_zoo_error_or_load(f"local-dir:{folder}")
    if how == "truncate" and number % len(raw) < len(raw) - 1:
        assert loaded is None  # a truncated file never loads
    # nothing lost: the good folder still loads
    assert zoo.load(f"local-dir:{good[0]}") is not None


# -- symlink tricks in a fake cache ------------------------------------------------------------------------
KINDS = ["good", "outside", "other-repo", "dangling", "directory", "wrong-bytes", "regular-file"]


@fuzz(30)
@given(st.fixed_dictionaries({n: st.sampled_from(KINDS) for n in
                              ("config.json", "README.md", "generator.safetensors", "discriminator.safetensors")}),
       st.booleans())
def test_symlink_tricks_in_the_cache_never_touch_what_lies_outside(hf, tmp_path, good, kinds, linked_snapshot):
    TRIED["cache symlinks"] += 1
    folder, files, model = good
    for child in hf.cache_dir.iterdir():
        shutil.rmtree(child)
    outside = tmp_path / "outside"
    shutil.rmtree(outside, ignore_errors=True)
    outside.mkdir()
    (outside / "precious.bin").write_bytes(b"precious")
    (outside / "dir").mkdir(exist_ok=True)
    other = hf.cache_dir / "models--someone--else" / "blobs"
    other.mkdir(parents=True)
    (other / "blob").write_bytes(b"other repo's blob")
    base = hf.cache_dir / ("models--" + REPO.replace("/", "--"))
    (base / "blobs").mkdir(parents=True)
    (base / "refs").mkdir()
    (base / "refs" / "main").write_text(COMMIT)
    snap_parent = base / "snapshots"
    snap_parent.mkdir()
    snap = snap_parent / COMMIT
    if linked_snapshot:  # the whole snapshot folder is a link out of the cache
        (outside / "snap").mkdir(exist_ok=True)
        snap.symlink_to(outside / "snap")
    else:
        snap.mkdir()
    for name, kind in kinds.items():
        entry = snap / name
        blob = base / "blobs" / hashlib.sha256(files[name]).hexdigest()
        if kind in ("good", "wrong-bytes"):
            blob.write_bytes(files[name] if kind == "good" else b"\0" * len(files[name]))
            entry.symlink_to(os.path.relpath(blob, base / "snapshots" / COMMIT))
        elif kind == "regular-file":
            entry.write_bytes(files[name])
        else:
            entry.symlink_to({"outside": outside / "precious.bin", "other-repo": other / "blob",
                              "dangling": outside / "missing", "directory": outside / "dir"}[kind])
    entry = {"dcgan.test-tiny": {"architecture": "dcgan", "source": {
        "repo_id": REPO, "revision": "main", "files": {r: {"filename": n, "sha256": hashlib.sha256(files[n]).hexdigest()}
                                                       for r, n in (("config", "config.json"), ("card", "README.md"),
                                                                    ("generator", "generator.safetensors"),
                                                                    ("discriminator", "discriminator.safetensors"))}}}}
    ws, = registry.parse_registry(entry, origin="test")
    registry.catalog().by_kind["weight set"][ws.name] = ws
    loaded = expect_zoo_error_or_load("dcgan.test-tiny")
    if loaded is not None:  # only the very bytes registered can load, from inside the cache
        assert torch.equal(outputs(loaded), outputs(model))
        assert not linked_snapshot
    assert (outside / "precious.bin").read_bytes() == b"precious"
    assert (other / "blob").read_bytes() == b"other repo's blob"
    assert (outside / "dir").is_dir()


# -- hostile server answers ----------------------------------------------------------------------------------
@fuzz(30)
@given(st.one_of(st.text(max_size=40), st.sampled_from(["../../../../x", "..", "a/b", "%2e%2e", "W/\"x\""])),
       st.one_of(st.text(max_size=45), st.just(COMMIT), st.just("../../../../c")),
       st.sampled_from([200, 200, 302, 404, 500]), st.booleans())
def test_hostile_server_answers_are_refused_and_lose_nothing(hf, tmp_path, good, etag, commit, status, truncate):
    TRIED["server answer"] += 1
    folder, files, model = good
    state = {"hostile": True}

    def answer(method, path):
        filename = path.split("?")[0].rpartition("/resolve/main/")[2]
        content = files.get(filename)
        if content is None:
            return 404, {"X-Error-Code": "EntryNotFound"}, b"{}"
        if not state["hostile"] or filename != "generator.safetensors":
            return 200, file_headers(content, lfs=filename.endswith(".safetensors")), content
        headers = file_headers(content, lfs=True, etag=etag, commit=commit)
        headers = {k: v.encode("latin-1", "replace").decode("latin-1").replace("\n", " ").replace("\r", " ")
                   for k, v in headers.items()}
        if status == 302:
            headers["Location"] = path
        body = content[: len(content) // 2] if truncate else content
        return status, headers, body

    before = tree_state(tmp_path, exclude=(hf.cache_dir,))
    with ScriptedServer(answer) as server:
        hf.online(server.url)
        expect_zoo_error_or_load("hf-hub:someone/evil")
        assert tree_state(tmp_path, exclude=(hf.cache_dir,)) == before
        state["hostile"] = False  # the server is fixed: the repo loads, from inside the cache
        loaded = zoo.load("hf-hub:someone/evil")
    assert torch.equal(outputs(loaded), outputs(model))
    assert Path(os.path.realpath(Path(loaded.metadata["folder"]) / "generator.safetensors")).is_relative_to(
        os.path.realpath(hf.cache_dir))


# -- the zoo command: one line, a documented exit code, no traceback ---------------------------------------
def run_main(capsys, *argv) -> tuple[int, list[str]]:
    code = sys.modules["zoo.cli.main"].main(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, [line for line in err.splitlines() if line.strip()]


def test_a_bad_registry_yaml_does_not_break_help(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "registry.yaml"
    bad.write_text("dcgan.x: {architecture: [unclosed\n")
    monkeypatch.setenv("GENZOO_REGISTRY", str(bad))
    with pytest.raises(SystemExit) as exited:
        sys.modules["zoo.cli.main"].main(["--help"])
    assert exited.value.code == 0 and "generate" in capsys.readouterr().out
    code, lines = run_main(capsys, "list", "--pretrained")
    assert code == 2 and len(lines) == 1 and lines[0].startswith("zoo: error: ") and "not valid YAML" in lines[0]


@pytest.mark.parametrize("exc, code, text", [
    (RuntimeError("boom\nsecond line"), 1, "unexpected RuntimeError: boom; second line (run with GENZOO_DEBUG=1"),
    (KeyboardInterrupt(), 130, None),
    (PermissionError(13, "Permission denied"), 1, "PermissionError: [Errno 13] Permission denied"),
    (UnsafeNameError("bad name"), 2, "bad name"),
])
def test_main_turns_every_failure_into_one_line_and_an_exit_code(monkeypatch, capsys, exc, code, text):
    cli_main = sys.modules["zoo.cli.main"]

    def failing(args):
        raise exc

    monkeypatch.setattr(cli_main, "cmd_list", failing)
    got, lines = run_main(capsys, "list")
    assert got == code
    assert lines == (["zoo: interrupted"] if text is None else [f"zoo: error: {text}"]) or \
        (len(lines) == 1 and lines[0].startswith(f"zoo: error: {text}"))
    monkeypatch.setenv("GENZOO_DEBUG", "1")
    assert cli_main.main(["list"]) == code
    if text is not None:
        assert "Traceback" in capsys.readouterr().err


def test_cli_hub_failures_are_one_line_with_exit_1(hf, good, capsys):
    code, lines = run_main(capsys, "generate", "hf-hub:nobody/nothing", "-n", "1")
    assert code == 1 and len(lines) == 1 and "not in the local cache" in lines[0]
    code, lines = run_main(capsys, "push", str(good[0]), "me/tiny")
    assert code == 1 and len(lines) == 1 and "HF_HUB_OFFLINE" in lines[0]
    code, lines = run_main(capsys, "generate", "hf-hub:org/repo@../../x", "-n", "1")
    assert code == 2 and len(lines) == 1 and "revision" in lines[0]


def test_cli_bad_weights_are_one_line_with_exit_2(tmp_path, good, capsys):
    folder = copy_good(good, tmp_path)
    raw = good[1]["generator.safetensors"]
    (folder / "generator.safetensors").write_bytes(raw[:100])
    code, lines = run_main(capsys, "generate", f"local-dir:{folder}", "-n", "1", "-o", str(tmp_path / "x.png"))
    assert code == 2 and len(lines) == 1 and "generator weights" in lines[0] and "truncated" in lines[0]


def test_cli_eval_against_a_corrupt_image_folder_is_one_line(tmp_path, good, capsys):
    images = tmp_path / "images"
    images.mkdir()
    (images / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    (images / "b.png").write_bytes(b"not an image at all")
    code, lines = run_main(capsys, "eval", f"local-dir:{good[0]}", "--against", str(images), "-n", "4",
                           "--extractor", "digits-judge", "--no-cache")
    assert code in (1, 2) and len(lines) == 1 and lines[0].startswith("zoo")
    assert code == 2 and ("a.png" in lines[0] or "b.png" in lines[0]) and "not a readable image" in lines[0]
