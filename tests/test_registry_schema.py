"""registry.yaml's schema (zoo.schema.registry_entry) and its strict YAML loader (zoo.schema.safe_yaml):
wrong types, look-alike booleans, null revisions, duplicate keys and alias bombs are refused in one line
naming the entry and the field; a small fuzz checks nothing else ever escapes."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zoo import records, registry
from zoo.errors import RegistryError

DIGEST = "ab" * 32
GOOD = {"architecture": "dcgan", "source": {"repo_id": "genzoo/dcgan-x", "revision": "main", "files": {
    "config": {"filename": "config.json", "sha256": DIGEST},
    "generator": {"filename": "generator.safetensors", "sha256": DIGEST.upper()}}}}
OFFICIAL = {"architecture": "dcgan", "source": {
    "url": "https://example.org/weights/", "converter": "dcgan-official", "unpinned": "the authors publish none",
    "files": {"checkpoint": {"filename": "netG.pth", "sha256": None}}}}


def _parse(entry, name="dcgan.x"):
    return registry.parse_registry({name: entry}, origin="test.yaml")


def _with(path: str, value, base=GOOD):
    entry = copy.deepcopy(base)
    *parents, last = path.split(".")
    target = entry
    for part in parents:
        target = target[part]
    target[last] = value
    return entry


def test_a_good_entry_becomes_the_same_records_as_before():
    ws, = _parse({**GOOD, "default": True, "resolution": 32, "config": {"resolution": 32},
                  "metrics": {"fid": {"n": 10, "fid": 3.5}}})
    assert ws == records.WeightSet(
        name="dcgan.x", architecture="dcgan", plugin="test.yaml", default=True, resolution=32,
        config={"resolution": 32}, metrics={"fid": {"n": 10, "fid": 3.5}},
        source=records.WeightSource(repo_id="genzoo/dcgan-x", revision="main", files={
            "config": records.WeightFile("config.json", DIGEST),
            "generator": records.WeightFile("generator.safetensors", DIGEST)}))


def test_official_sources_stay_accepted():
    ws, = _parse(OFFICIAL)
    assert ws.source == records.WeightSource(
        repo_id=None, url="https://example.org/weights/", converter="dcgan-official",
        unpinned="the authors publish none", files={"checkpoint": records.WeightFile("netG.pth", None)})
    assert ws.source.official
    hub_official, = _parse(_with("source", {"repo_id": "authors/ckpt", "converter": "c",
                                            "files": {"ckpt": {"filename": "a.pkl", "sha256": DIGEST}}}))
    assert hub_official.source.repo_id == "authors/ckpt" and "config" not in hub_official.source.files


@pytest.mark.parametrize("entry, message", [
    (_with("default", "false"), "field 'default': Input should be a valid boolean"),
    (_with("default", 1), "field 'default'"),
    (_with("source.revision", None), "field 'source.revision': Input should be a valid string"),
    (_with("source.revision", 1.0), "field 'source.revision'"),
    (_with("resolution", "32"), "field 'resolution': Input should be a valid integer"),
    (_with("resolution", True), "field 'resolution'"),
    (_with("resolution", -3), "field 'resolution'"),
    (_with("origin", 5), "field 'origin'"),
    (_with("metrics", [1, 2]), "field 'metrics': must be a mapping"),
    (_with("config", "resolution=32"), "field 'config': must be a mapping"),
    (_with("shipped", "no-colon"), "field 'shipped': must look like 'package:relative/dir'"),
    (_with("shipped", "pkg:../up"), "field 'shipped'"),
    (_with("source.files.generator.filename", "../../etc/passwd"), "field 'source.files.generator.filename'"),
    (_with("source.files.generator.filename", "/abs.safetensors"), "relative path"),
    (_with("source.files.generator.filename", "a\\b.safetensors"), "relative path"),
    (_with("source.files.generator.sha256", None), "sha256' is null; only an official file"),
    (_with("source.files.generator.sha256", "xyz"), "'source.files.generator.sha256' is not a sha256 hex digest"),
    (_with("source.files", {}), "field 'source.files'"),
    (_with("source.repo_id", "norepo"), "field 'source.repo_id': 'norepo' must look like 'org/name'"),
    (_with("source.url", "https://x/"), "'source.url' is for official files and needs 'source.converter'"),
    (_with("source.files.checkpoint.sha256", None, OFFICIAL) | {"source": {**OFFICIAL["source"], "unpinned": None}},
     "only an official file"),
    (_with("architecture", "gan"), "field 'architecture' is 'gan' but the name says 'dcgan'"),
    ({**GOOD, "colour": "red"}, "unknown field\\(s\\) \\['colour'\\]; allowed: \\['architecture'"),
    (_with("source.mirror", "x"), "unknown field\\(s\\) \\['source.mirror'\\]"),
    ({"source": GOOD["source"]}, "field 'architecture' is required"),
    ("just text", "must be a mapping of fields"),
])
def test_bad_entries_are_refused_in_one_line(entry, message):
    with pytest.raises(RegistryError, match=message) as exc:
        _parse(entry)
    text = str(exc.value)
    assert "\n" not in text and text.startswith("test.yaml: entry 'dcgan.x': ")


@pytest.mark.parametrize("name", ["dcgan", 7, ".x", "dcgan."])
def test_names_must_be_arch_dot_tag(name):
    with pytest.raises(RegistryError, match="architecture.tag"):
        _parse(GOOD, name=name)


def _yaml_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "registry.yaml"
    path.write_text(text)
    return path


ENTRY_YAML = """dcgan.x:
  architecture: dcgan
  source:
    repo_id: genzoo/dcgan-x
    files:
      config: {filename: config.json, sha256: %s}
""" % DIGEST


def test_yaml_file_parses(tmp_path):
    ws, = registry.load_registry_yaml(_yaml_file(tmp_path, ENTRY_YAML))
    assert ws.source.revision == "main" and ws.source.files["config"].sha256 == DIGEST


@pytest.mark.parametrize("text, message", [
    (ENTRY_YAML + ENTRY_YAML, "duplicate key 'dcgan.x' \\(line 7"),
    (ENTRY_YAML + "  architecture: gan\n", "duplicate key 'architecture' \\(line 7"),
    (ENTRY_YAML.replace("repo_id: genzoo/dcgan-x", "repo_id: genzoo/dcgan-x\n    repo_id: other/repo"),
     "duplicate key 'repo_id'"),
    (ENTRY_YAML + "  default: yes\n", "field 'default'"),  # YAML 1.1 'yes' is a bool: this one passes
    (ENTRY_YAML + "  metrics: {fid: 'x', fid: 'y'}\n", "duplicate key 'fid'"),
    (ENTRY_YAML + "  origin: !!python/object/apply:os.system [echo hi]\n", "could not determine a constructor"),
    (ENTRY_YAML + "  metrics: {a: &a [1, 2], b: *a}\n", "anchors and aliases .* are not allowed"),
    (ENTRY_YAML + "  metrics:\n    <<: {a: 1}\n", "merge keys"),
    ("dcgan.x: [unclosed\n", "not valid YAML"),
])
def test_bad_yaml_is_refused_in_one_line(tmp_path, text, message):
    path = _yaml_file(tmp_path, text)
    if "default: yes" in text:  # a real YAML boolean is accepted: the refusal is only for strings
        ws, = registry.load_registry_yaml(path)
        assert ws.default is True
        return
    with pytest.raises(RegistryError, match=message) as exc:
        registry.load_registry_yaml(path)
    assert "\n" not in str(exc.value)


def test_alias_bomb_is_refused_before_it_expands(tmp_path):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join(['*a%d' % (i - 1)] * 9)}]" for i in range(1, 9)]
    bomb = ENTRY_YAML + "  metrics:\n" + "".join(f"    {line}\n" for line in lines)
    assert len(bomb.encode()) < 1500  # expands to 9**9 (387 million) strings if walked
    with pytest.raises(RegistryError, match="anchors and aliases"):
        registry.load_registry_yaml(_yaml_file(tmp_path, bomb))


def test_shipped_registry_has_no_anchors_and_parses():
    names = [ws.name for ws in registry.load_registry_yaml()]
    assert "dcgan.digits-32" in names and len(names) == len(set(names))


# -- fuzz: any entry either parses to a record or is a RegistryError ------------------------------
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["main", "a/b", "dcgan", DIGEST, "config.json",
                                                           "../x", "pkg:dir", "false"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=8)
file_specs = st.dictionaries(st.sampled_from(["filename", "sha256", "size"]), values, max_size=3) | values
sources = st.fixed_dictionaries({}, optional={
    "repo_id": values, "revision": values, "url": values, "converter": values, "unpinned": values,
    "files": st.dictionaries(st.sampled_from(["config", "generator", "ckpt"]), file_specs, max_size=3) | values,
}) | values
entries = st.fixed_dictionaries({}, optional={
    "architecture": st.sampled_from(["dcgan", "gan"]) | values, "source": sources, "config": values,
    "default": values, "shipped": values, "origin": values, "dataset": values, "resolution": values,
    "license": values, "paper": values, "metrics": values, "colour": values}) | values


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(["dcgan.x", "dcgan", "gan.y"]) | scalars, entry=entries)
def test_fuzzed_entries_parse_or_raise_registry_error(name, entry):
    try:
        parsed = registry.parse_registry({name: entry}, origin="fuzz")
    except RegistryError as exc:
        assert "\n" not in str(exc)
        return
    ws, = parsed
    assert isinstance(ws, records.WeightSet) and isinstance(ws.default, bool)
    assert isinstance(ws.source.revision, str) and ws.source.files


@settings(max_examples=200, deadline=None)
@given(entry=st.builds(lambda base, path, value: _with(path, value, base),
                       st.sampled_from([GOOD, OFFICIAL]),
                       st.sampled_from(["default", "resolution", "source.revision", "source.repo_id",
                                        "source.files.config", "metrics", "config", "shipped", "source.url",
                                        "source.converter", "origin"]),
                       values))
def test_fuzzed_fields_of_a_good_entry_parse_or_raise_registry_error(entry):
    try:
        ws, = registry.parse_registry({"dcgan.x": entry}, origin="fuzz")
    except RegistryError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(ws.default, bool) and (ws.resolution is None or type(ws.resolution) is int)
