"""Per-role config sections, config.json v2 (and v1 read by migration), the meta-device dry run that
checks a config against the weight files before allocating, and `zoo info` telling what `zoo.load`
builds. Expectations are written by hand or computed from the files with safetensors directly."""
from __future__ import annotations

import hashlib
import json
import resource
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from torch import nn

import zoo
from zoo import build, hub, records, registry
from zoo.cli import main
from zoo.cli.models import describe
from zoo.cli.options import parse_kv
from zoo.errors import RegistryError, WeightsFormatError, ZooError
from zoo.safe_build import WeightsMismatchError

ROOT = Path(__file__).resolve().parent.parent
DCGAN_DIGITS = ROOT / "plugins/zoo_plugins/dcgan/weights/digits-32"


class TinyNet(nn.Module):
    """One linear layer: `width` outputs from `in_dim` inputs."""

    def __init__(self, width: int = 4, in_dim: int = 3) -> None:
        super().__init__()
        self.layer = nn.Linear(in_dim, width)


class TinyObjective:
    def __init__(self, lr: float = 0.1) -> None:
        self.lr = lr


TWIN = records.Architecture(
    name="twin", paper=records.Paper(title="Twins", authors="Test", year=2026),
    components={"generator": f"{__name__}:TinyNet", "discriminator": f"{__name__}:TinyNet"},
    default_config={"width": 4, "in_dim": 3, "lr": 0.1}, tasks=(), objective="twin-objective")


@pytest.fixture(autouse=True)
def catalog():
    registry.reset()
    cat = registry.catalog()
    cat.by_kind["architecture"]["twin"] = TWIN
    cat.by_kind["objective"]["twin-objective"] = records.ObjectiveRecord(
        name="twin-objective", builder=f"{__name__}:TinyObjective")
    yield cat
    registry.reset()


def _one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message and isinstance(exc.value, ZooError)
    return message


# -- per-role sections ------------------------------------------------------------------------------
def test_two_components_of_one_class_get_different_widths(tmp_path):
    model = zoo.create("twin", config={"discriminator": {"width": 7}})
    assert model["generator"].layer.weight.shape == (4, 3)
    assert model["discriminator"].layer.weight.shape == (7, 3)
    assert model.config == {"width": 4, "in_dim": 3, "lr": 0.1, "discriminator": {"width": 7}}

    folder = hub.save_pretrained(model, tmp_path / "twin")
    written = json.loads((folder / "config.json").read_text())
    assert written == {
        "genzoo_format": 2, "architecture": "twin",
        "components": {"generator": "generator.safetensors", "discriminator": "discriminator.safetensors"},
        "config": {"shared": {"width": 4, "in_dim": 3, "lr": 0.1}, "generator": {},
                   "discriminator": {"width": 7}, "objective": {}}}
    loaded = zoo.load(f"local-dir:{folder}")
    assert loaded["discriminator"].layer.weight.shape == (7, 3)
    for role in ("generator", "discriminator"):
        for key, value in model[role].state_dict().items():
            assert torch.equal(loaded[role].state_dict()[key], value)


def test_cli_override_syntax_for_a_role_and_for_shared_keys():
    overrides = parse_kv(["generator.width=9", "in_dim=5", "objective.lr=1e-4"])
    model = zoo.create("twin", config=overrides)
    assert model["generator"].layer.weight.shape == (9, 5)
    assert model["discriminator"].layer.weight.shape == (4, 5)
    objective = build.build_objective(TWIN, model.config, registry.catalog())
    assert objective.lr == 1e-4
    assert build.build_objective(TWIN, zoo.create("twin").config, registry.catalog()).lr == 0.1


def test_flat_configs_of_existing_architectures_are_the_shared_section():
    model = zoo.create("dcgan", config={"resolution": 16, "g_width": 8, "d_width": 4, "latent_dim": 8})
    assert "generator" not in model.config and model.config["g_width"] == 8
    assert model["generator"].state_dict()["project.weight"].shape[1] == 8  # Linear(latent_dim -> ...)
    per_role = zoo.create("dcgan", config={"resolution": 16, "g_width": 8, "d_width": 4, "latent_dim": 8,
                                           "discriminator": {"d_width": 6}})
    assert per_role.parameter_counts()["generator"] == model.parameter_counts()["generator"]
    assert per_role.parameter_counts()["discriminator"] != model.parameter_counts()["discriminator"]


@pytest.mark.parametrize("config, message", [
    ({"widht": 3}, "unknown config key 'widht'.*Did you mean: width"),
    ({"generator.widht": 3}, "unknown config key 'generator.widht'.*Did you mean: width"),
    ({"generatr.width": 3}, "unknown config section 'generatr'.*Did you mean: generator"),
    ({"generator": {"widht": 3}}, "unknown config key 'generator.widht'"),
    ({"generator": 5}, "config section 'generator' of architecture 'twin' must map keys"),
    ({"discriminator.lr": 0.5}, "discriminator .*takes no lr"),
])
def test_unknown_or_misplaced_keys_are_one_line_errors(config, message):
    with pytest.raises(RegistryError, match=message) as exc:
        zoo.create("twin", config=config)
    _one_line(exc)


def test_role_names_cannot_be_shared_keys_or_reserved():
    paper = records.Paper(title="T", authors="A", year=2026)
    with pytest.raises(ValueError, match="\\['shared'\\] cannot be component roles"):
        records.Architecture(name="x", paper=paper, components={"generator": "m:G", "shared": "m:S"})
    with pytest.raises(ValueError, match="default_config keys \\['generator'\\] name config sections"):
        records.Architecture(name="x", paper=paper, components={"generator": "m:G"},
                             default_config={"generator": "big"})
    with_default_section = records.Architecture(name="x", paper=paper, components={"generator": "m:G"},
                                                default_config={"width": 2, "generator": {"width": 3}})
    assert build.merged_config(with_default_section, {"generator.width": 5}) == {"width": 2, "generator": {"width": 5}}
    assert build.role_config(with_default_section, {"width": 2, "generator": {"width": 5}}, "ema") == {"width": 5}


# -- config.json versions --------------------------------------------------------------------------
# official entries (biggan.deep-*, gan3d.chair-64 ...) are converted on first load: nothing shipped to check
SHIPPED = sorted((ws for ws in registry.load_registry_yaml() if ws.shipped), key=lambda ws: ws.name)


def _shipped_folder(ws):
    package, _, rel = ws.shipped.partition(":")
    return ROOT / "plugins" / package.replace(".", "/") / rel


# weight sets shipped before format 2 (later ones, e.g. cgan/icgan, are saved as format 2)
SHIPPED_V1 = [ws for ws in SHIPPED if json.loads((_shipped_folder(ws) / "config.json").read_bytes())["genzoo_format"] == 1]


def test_the_first_shipped_weight_sets_are_all_version_1():
    assert {"dcgan.digits-32", "vae.digits-32", "cvae.digits-32", "vaegan.digits-32"} <= {ws.name for ws in SHIPPED_V1}


@pytest.mark.parametrize("ws", SHIPPED_V1, ids=lambda ws: ws.name)
def test_version_1_files_load_bit_identically_and_stay_unchanged(ws):
    folder = _shipped_folder(ws)
    raw = (folder / "config.json").read_bytes()
    assert json.loads(raw)["genzoo_format"] == 1
    assert hashlib.sha256(raw).hexdigest() == ws.source.files["config"].sha256  # never rewritten
    model = zoo.load(ws.name)
    for role, wf in ws.source.files.items():
        if role == "config":
            continue
        expected = load_file(str(folder / wf.filename))
        state = model[role].state_dict()
        assert sorted(state) == sorted(expected)
        for key, tensor in expected.items():
            assert torch.equal(state[key], tensor), (role, key)
    assert hashlib.sha256((folder / "config.json").read_bytes()).hexdigest() == ws.source.files["config"].sha256


def test_version_1_config_reads_as_all_shared():
    doc = hub.read_config(DCGAN_DIGITS)
    assert doc["genzoo_format"] == 2
    assert doc["components"] == {"discriminator": "discriminator.safetensors",
                                 "generator": "generator.safetensors"}
    assert doc["config"] == {"beta1": 0.5, "beta2": 0.999, "channels": 1, "d_steps": 1, "d_width": 32,
                             "g_width": 32, "generator_loss": "nonsaturating", "kernel_size": 5,
                             "latent_dim": 100, "lr": 0.0002, "optimizer": "adam", "resolution": 32}


def _write_config(tmp_path, doc) -> Path:
    folder = tmp_path / "bad"
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text(json.dumps(doc))
    return folder


GOOD_V2 = {"genzoo_format": 2, "architecture": "twin", "components": {"generator": "g.safetensors"},
           "config": {"shared": {"width": 4}, "generator": {}}}


@pytest.mark.parametrize("change, message", [
    ({"genzoo_format": 999}, "genzoo_format 999 is not one this genzoo reads .*upgrade genzoo"),
    ({"genzoo_format": "2"}, "genzoo_format '2' is not one"),
    ({"genzoo_format": True}, "genzoo_format True is not one"),
    ({"extra": 1}, "unknown field 'extra'"),
    ({"architecture": 5}, "field 'architecture'"),
    ({"components": {"generator": "../g.safetensors"}}, "relative path"),
    ({"components": {"generator": "/etc/passwd"}}, "relative path"),
    ({"components": {"generator": "sub\\\\g.safetensors"}}, "relative path"),
    ({"components": {"generator": 3}}, "field 'components.generator'"),
    ({"config": {"generator": {}}}, "needs a 'shared' section"),
    ({"config": {"shared": [1]}}, "field 'config.shared'"),
    ({"config": None}, "field 'config'"),
])
def test_malformed_config_json_is_refused_in_one_line(tmp_path, change, message):
    folder = _write_config(tmp_path, {**GOOD_V2, **change})
    with pytest.raises(RegistryError, match=message) as exc:
        hub.read_config(folder)
    assert str(folder / "config.json") in _one_line(exc)


def test_missing_field_and_bad_json(tmp_path):
    folder = _write_config(tmp_path, {"genzoo_format": 1, "architecture": "twin", "config": {}})
    with pytest.raises(RegistryError, match="missing field 'components'"):
        hub.read_config(folder)
    (folder / "config.json").write_text("{" * 100_000)
    with pytest.raises(RegistryError, match="not valid JSON"):
        hub.read_config(folder)


# -- the dry run: configs checked against weight files before allocating ---------------------------
def _dcgan_copy(tmp_path, **config) -> Path:
    folder = tmp_path / "dcgan"
    shutil.copytree(DCGAN_DIGITS, folder)
    doc = json.loads((folder / "config.json").read_text())
    doc["config"].update(config)
    (folder / "config.json").write_text(json.dumps(doc))
    return folder


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def test_memory_bomb_is_refused_by_the_parameter_budget(tmp_path):
    before = _peak_rss_mb()
    folder = _dcgan_copy(tmp_path, latent_dim=10**9)
    with pytest.raises(RegistryError, match="over the limit of 1,000,000,000") as exc:
        zoo.load(f"local-dir:{folder}")
    _one_line(exc)
    with pytest.raises(RegistryError, match="parameters"):
        zoo.create("dcgan", config={"latent_dim": 10**9})
    assert _peak_rss_mb() - before < 500  # the real model would need terabytes


def test_config_that_disagrees_with_the_weights_names_role_key_and_shapes(tmp_path):
    before = _peak_rss_mb()
    # 700,000 latent dims: 5.7 GB of generator if built; the budget is raised so the header check answers
    folder = _dcgan_copy(tmp_path, latent_dim=700_000)
    with pytest.raises(WeightsMismatchError) as exc:
        zoo.load(f"local-dir:{folder}", max_parameters=10**12)
    message = _one_line(exc)
    assert message.startswith("generator: ") and "'project.weight'" in message and "[2048, 100]" in message and "[2048, 700000]" in message
    assert _peak_rss_mb() - before < 500


def _saved_twin(tmp_path) -> Path:
    return hub.save_pretrained(zoo.create("twin"), tmp_path / "twin")


def _rewrite(folder: Path, role: str, change) -> None:
    path = folder / f"{role}.safetensors"
    state = load_file(str(path))
    change(state)
    save_file(state, str(path))


@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("layer.bias"), "generator: generator.safetensors lacks 'layer.bias' \\(expected shape \\[4\\]\\)"),
    (lambda s: s.update(extra=torch.zeros(2)), "generator: generator.safetensors holds 'extra' \\(shape \\[2\\]\\)"),
    (lambda s: s.update({"layer.weight": torch.zeros(4, 5)}), "'layer.weight' has shape \\[4, 5\\] .*builds \\[4, 3\\]"),
    (lambda s: s.update({"layer.weight": torch.zeros(4, 3, dtype=torch.int8)}), "'layer.weight' is I8 .*float32"),
    (lambda s: s.update({"layer.bias": torch.ones(4, dtype=torch.bool)}), "'layer.bias' is BOOL"),
])
def test_weights_that_do_not_fit_are_refused(tmp_path, change, message):
    folder = _saved_twin(tmp_path)
    _rewrite(folder, "generator", change)
    with pytest.raises(WeightsMismatchError, match=message) as exc:
        zoo.load(f"local-dir:{folder}")
    _one_line(exc)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_weights_are_refused(tmp_path, bad):
    folder = _saved_twin(tmp_path)
    _rewrite(folder, "discriminator", lambda s: s["layer.weight"].__setitem__((1, 2), bad))
    with pytest.raises(WeightsMismatchError, match="discriminator: 'layer.weight' holds 1 non-finite") as exc:
        zoo.load(f"local-dir:{folder}")
    _one_line(exc)


def test_truncated_weight_file_is_refused(tmp_path):
    folder = _saved_twin(tmp_path)
    path = folder / "generator.safetensors"
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(WeightsFormatError, match="generator weights generator.safetensors: truncated") as exc:
        zoo.load(f"local-dir:{folder}")
    _one_line(exc)
    path.write_bytes(b"\x05")
    with pytest.raises(WeightsFormatError, match="not a safetensors file"):
        zoo.load(f"local-dir:{folder}")


# -- zoo info tells what zoo.load builds -----------------------------------------------------------
@pytest.mark.parametrize("name", [ws.name for ws in SHIPPED])
def test_info_counts_equal_loaded_counts(name):
    info = describe(name)
    loaded = zoo.load(name).parameter_counts()
    assert {role: c["parameters"] for role, c in info["components"].items()} == loaded


@pytest.mark.parametrize("ws", SHIPPED, ids=lambda ws: ws.name)
def test_registry_config_agrees_with_the_saved_config(ws):
    saved = hub.read_config(hub.resolve_folder(ws.name, registry.catalog())[0])["config"]
    assert {k: saved.get(k) for k in ws.config} == dict(ws.config)


def test_info_for_dcgan_digits_reports_the_weight_set_not_the_defaults(capsys):
    # the numbers: 462k / 259k parameters at 32 px, 1 channel (defaults: 18.9M / 4.3M, 64 px)
    for name in ("dcgan.digits-32", "dcgan", f"local-dir:{DCGAN_DIGITS}"):
        assert main(["info", name]) == 0
        info = json.loads(capsys.readouterr().out)
        assert info["components"]["generator"]["parameters"] == 462_049
        assert info["components"]["discriminator"]["parameters"] == 259_265
        assert (info["config"]["resolution"], info["config"]["channels"]) == (32, 1)


def test_info_for_an_architecture_without_weights_describes_create():
    info = describe("twin")
    assert info["components"]["generator"]["parameters"] == 4 * 3 + 4
    assert info["built_by"].startswith("zoo.create('twin')")


def test_info_reads_an_hf_hub_repo_like_load(monkeypatch, tmp_path):
    import huggingface_hub.constants as constants

    from hub_server import FakeRepo, HubServer

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    with HubServer({"someone/digits-dcgan": FakeRepo.from_folder(DCGAN_DIGITS)}) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        info = describe("hf-hub:someone/digits-dcgan@main")
        loaded = zoo.load("hf-hub:someone/digits-dcgan").parameter_counts()
    assert {role: c["parameters"] for role, c in info["components"].items()} == loaded
    assert loaded == {"generator": 462_049, "discriminator": 259_265}
