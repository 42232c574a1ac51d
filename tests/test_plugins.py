"""The plugin system from the outside: third-party packages installed with pip, found through the
"genzoo" entry-point group, isolated from each other's failures; and, in-process, the plugin manager's
rules (duplicate names, wrong record types, unknown hooks) and the documentation of every hook.

The example packages are installed with `pip install --target` into temporary folders that only the
subprocesses see (PYTHONPATH): the test environment's site-packages is never changed.
"""
from __future__ import annotations

import ast
import json
import math
import os
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from zoo import plugins, records
from zoo.errors import PluginError
from zoo.registry import Catalog

from fake_plugins import architecture, fake_plugin

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
EXAMPLE_HOOKS = ("register_architectures", "register_objectives", "register_weights", "register_converters",
                 "register_datasets", "register_metrics", "register_commands")


# -- installing the example packages -------------------------------------------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """Both example packages, pip-installed into one folder that only the tests put on a path.

    Copies are built (a setuptools build writes into its source tree); one pip run keeps this quick.
    """
    tmp = tmp_path_factory.mktemp("plugin-packages")
    sources = []
    for package in ("genzoo-plugin-example", "genzoo-plugin-broken"):
        sources.append(tmp / "src" / package)
        shutil.copytree(EXAMPLES / package, sources[-1],
                        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps", "--no-index",
           "--target", str(tmp / "site"), *map(str, sources)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, f"pip install failed:\n{done.stdout}\n{done.stderr}"
    return tmp / "site"


def zoo_cli(*args: str, path: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the `zoo` command in a fresh interpreter that sees the packages in `path`."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GENZOO_")}
    full_env.update(PYTHONPATH=str(path), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1",
                    **(env or {}))
    return subprocess.run([sys.executable, "-m", "zoo.cli", *args], capture_output=True, text=True,
                          env=full_env, timeout=120, cwd=str(path))


def plugins_json(path: Path, env: dict[str, str] | None = None) -> dict[str, dict]:
    done = zoo_cli("plugins", path=path, env=env)
    assert done.returncode == 0, done.stderr
    return {p["name"]: p for p in json.loads(done.stdout)}


def first_column(stdout: str) -> list[str]:
    return [line.split()[0] for line in stdout.splitlines() if line.strip()]


# -- a third-party plugin, installed -------------------------------------------------------------
def test_example_plugin_is_found_through_its_entry_point(site):
    listed = zoo_cli("list", path=site)
    assert listed.returncode == 0, listed.stderr
    names = first_column(listed.stdout)
    assert "lsgan-mlp" in names and "dcgan" in names  # the built-ins are still there

    pretrained = zoo_cli("list", "--pretrained", path=site)
    assert pretrained.returncode == 0, pretrained.stderr
    assert "lsgan-mlp.digits-16" in first_column(pretrained.stdout)

    example = plugins_json(site)["example"]
    assert example["error"] is None
    assert example["module"] == "genzoo_plugin_example" and example["version"] == "0.1.0"
    assert sorted(example["hooks"]) == sorted(EXAMPLE_HOOKS)
    assert example["registered"] == {
        "Architecture": ["lsgan-mlp"], "ObjectiveRecord": ["lsgan"], "WeightSet": ["lsgan-mlp.digits-16"],
        "Converter": ["lsgan-mlp-reference"], "DatasetRecord": ["blob-ring"],
        "MetricRecord": ["mode-coverage"]}


def test_example_plugin_adds_a_command(site):
    assert "lsgan-codings" in zoo_cli("--help", path=site).stdout
    done = zoo_cli("lsgan-codings", path=site)
    assert done.returncode == 0, done.stderr
    codings = json.loads(done.stdout)
    assert {(c["a"], c["b"], c["c"]) for c in codings} == {(-1.0, 1.0, 0.0), (0.0, 1.0, 1.0)}


@pytest.fixture
def example_in_process(site, monkeypatch):
    """The installed packages on this process's path, with a fresh catalogue; both undone afterwards."""
    from zoo import registry

    for var in ("GENZOO_STRICT_PLUGINS", "GENZOO_LOAD_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.syspath_prepend(str(site))
    registry.reset()
    yield registry.catalog()
    registry.reset()
    for module in [m for m in sys.modules if m.startswith("genzoo_plugin_")]:
        del sys.modules[module]


def test_example_weight_set_loads_offline_from_the_shipped_copy(example_in_process, site):
    import torch

    import zoo
    from zoo.data.digits import Digits

    assert example_in_process.weight_set("lsgan-mlp").name == "lsgan-mlp.digits-16"  # the default tag
    model = zoo.load("lsgan-mlp.digits-16")  # HF_HUB_OFFLINE=1 and an empty cache (conftest)
    assert Path(model.metadata["folder"]).is_relative_to(site)  # the copy inside the installed package
    assert model.architecture.plugin == "example" and model.weight_set.plugin == "example"
    labels = torch.arange(10).repeat(20)
    images = model.generate(len(labels), seed=0, c=labels)
    assert images.shape == (200, 1, 16, 16)
    assert -1.0 <= images.min() < images.max() <= 1.0
    # Nearest class-mean classification against the real training digits: the shipped generator was
    # trained and draws the digit it is asked for (an untrained or unconditional one scores about 0.1).
    data = Digits(resolution=16, split="train")
    means = torch.stack([data.images[data.labels == d].mean(0) for d in range(10)]).flatten(1)
    accuracy = (torch.cdist(images.flatten(1), means).argmin(1) == labels).float().mean().item()
    assert accuracy > 0.6


def test_zoo_list_with_a_third_party_plugin_imports_no_torch(site):
    code = ("import sys\nfrom zoo.cli import main\nmain(['list', '--pretrained'])\n"
            "assert 'torch' not in sys.modules, 'zoo list imported torch'\n")
    env = {**os.environ, "PYTHONPATH": str(site), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "lsgan-mlp.digits-16" in done.stdout


# -- a broken plugin next to it ------------------------------------------------------------------
def test_broken_plugins_are_reported_and_the_rest_keeps_working(site):
    report = plugins_json(site)
    assert report["broken-import"]["error"].startswith("ImportError: ")
    assert "not-installed-anywhere" in report["broken-import"]["error"]
    assert report["broken-record"]["error"] == \
        "PluginError: register_architectures must register Architecture records, got dict"
    assert report["broken-record"]["registered"] == {}
    assert report["example"]["error"] is None
    assert report["dcgan"]["error"] is None

    listed = zoo_cli("list", path=site)
    assert listed.returncode == 0, listed.stderr
    assert {"lsgan-mlp", "dcgan", "gan"} <= set(first_column(listed.stdout))
    assert "not-a-record" not in listed.stdout
    pretrained = zoo_cli("list", "--pretrained", path=site)
    assert "lsgan-mlp.digits-16" in first_column(pretrained.stdout)


@pytest.mark.parametrize("plugin", ["broken-import", "broken-record"])
def test_strict_mode_makes_a_failing_plugin_fatal(site, plugin):
    done = zoo_cli("list", path=site, env={"GENZOO_STRICT_PLUGINS": "1", "GENZOO_LOAD_PLUGINS": f"gan,{plugin}"})
    assert done.returncode == 2  # a usage error: one line naming the plugin, no traceback
    assert done.stderr.startswith(f"zoo: error: plugin {plugin!r}") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_strict_mode_fails_on_the_first_broken_plugin_of_all(site):
    done = zoo_cli("list", path=site, env={"GENZOO_STRICT_PLUGINS": "1"})
    assert done.returncode == 2
    assert re.fullmatch(r"zoo: error: plugin 'broken-(import|record)' .*failed: .*\n", done.stderr), done.stderr


def test_load_plugins_selects_by_name(site):
    env = {"GENZOO_LOAD_PLUGINS": "example,gan", "GENZOO_STRICT_PLUGINS": "1"}  # the broken ones never load
    assert set(plugins_json(site, env)) == {"example", "gan"}
    listed = zoo_cli("list", path=site, env=env)
    assert listed.returncode == 0, listed.stderr
    assert first_column(listed.stdout) == ["gan", "lsgan-mlp"]


def test_load_plugins_reports_a_name_that_is_not_installed(site):
    report = plugins_json(site, {"GENZOO_LOAD_PLUGINS": "exmple"})
    assert set(report) == {"exmple"}
    assert "no plugin of that name is installed" in report["exmple"]["error"]
    assert "example" in report["exmple"]["error"]  # the list of installed names shows the typo


# -- the plugin manager's rules, in-process with fake plugins -------------------------------------


def load_fake(monkeypatch, *fakes: tuple[str, types.ModuleType]) -> tuple[plugins.PluginManager, Catalog]:
    """A fresh PluginManager and Catalog that see only `fakes` (name, module), in this order."""
    monkeypatch.setattr(plugins, "_candidates",
                        lambda: [(name, module.__name__, "1.0", lambda m=module: m) for name, module in fakes])
    manager, catalog = plugins.PluginManager(), Catalog()
    manager.load(catalog)
    return manager, catalog


def test_two_plugins_registering_one_name_is_an_error_naming_both(monkeypatch):
    monkeypatch.delenv("GENZOO_STRICT_PLUGINS", raising=False)
    monkeypatch.delenv("GENZOO_LOAD_PLUGINS", raising=False)
    alpha = fake_plugin("fake_alpha", register_architectures=lambda register: register(architecture("twin")))

    def beta_archs(register):
        register(architecture("beta-only"))
        register(architecture("twin"))

    beta = fake_plugin("fake_beta", register_architectures=beta_archs)
    manager, catalog = load_fake(monkeypatch, ("alpha", alpha), ("beta", beta))
    error = manager.infos["beta"].error
    assert error == "DuplicateNameError: architecture 'twin' is registered by both 'alpha' and 'beta'"
    assert manager.infos["alpha"].error is None
    assert catalog.architecture("twin").plugin == "alpha"
    # the failing plugin's records are rejected together: nothing of beta's is half-registered
    assert catalog.names("architecture") == ["twin"]
    assert manager.infos["beta"].registered == {}

    monkeypatch.setenv("GENZOO_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match=r"plugin 'beta' .*registered by both 'alpha' and 'beta'"):
        load_fake(monkeypatch, ("alpha", alpha), ("beta", beta))


def test_one_plugin_registering_a_name_twice_is_an_error(monkeypatch):
    monkeypatch.delenv("GENZOO_STRICT_PLUGINS", raising=False)
    monkeypatch.delenv("GENZOO_LOAD_PLUGINS", raising=False)

    def twice(register):
        register(architecture("echo"))
        register(architecture("echo"))

    manager, catalog = load_fake(monkeypatch, ("echo", fake_plugin("fake_echo", register_architectures=twice)))
    assert "architecture 'echo' is registered by both 'echo' and 'echo'" in manager.infos["echo"].error
    assert catalog.names("architecture") == []


def test_a_hook_registering_the_wrong_record_type_is_reported(monkeypatch):
    monkeypatch.delenv("GENZOO_STRICT_PLUGINS", raising=False)
    monkeypatch.delenv("GENZOO_LOAD_PLUGINS", raising=False)
    objective = records.ObjectiveRecord(name="misplaced", builder="nowhere:Objective")
    wrong = fake_plugin("fake_wrong", register_architectures=lambda register: register(objective))
    good = fake_plugin("fake_good", register_architectures=lambda register: register(architecture("fine")))
    manager, catalog = load_fake(monkeypatch, ("wrong", wrong), ("good", good))
    assert manager.infos["wrong"].error == \
        "PluginError: register_architectures must register Architecture records, got ObjectiveRecord"
    assert manager.infos["wrong"].traceback  # kept for `zoo plugins` debugging
    assert catalog.names("objective") == [] and catalog.names("architecture") == ["fine"]
    assert manager.infos["good"].registered == {"Architecture": ["fine"]}


def test_a_hook_with_a_misspelt_name_is_reported(monkeypatch):
    monkeypatch.delenv("GENZOO_STRICT_PLUGINS", raising=False)
    monkeypatch.delenv("GENZOO_LOAD_PLUGINS", raising=False)
    typo = fake_plugin("fake_typo", register_architecture=lambda register: register(architecture("lost")))
    manager, catalog = load_fake(monkeypatch, ("typo", typo))
    assert manager.infos["typo"].error.startswith(
        "PluginError: implements register_architecture, which is not a genzoo hook")
    assert catalog.names("architecture") == []


def test_a_hook_with_a_wrong_argument_name_is_reported(monkeypatch):
    monkeypatch.delenv("GENZOO_STRICT_PLUGINS", raising=False)
    monkeypatch.delenv("GENZOO_LOAD_PLUGINS", raising=False)
    bad_args = fake_plugin("fake_args", register_architectures=lambda reg: reg(architecture("never")))
    manager, catalog = load_fake(monkeypatch, ("args", bad_args))
    error = manager.infos["args"].error
    assert error.startswith("PluginValidationError") and "reg" in error
    assert catalog.names("architecture") == []


def test_a_failing_register_commands_hook_is_reported_not_fatal(monkeypatch):
    import argparse

    monkeypatch.delenv("GENZOO_STRICT_PLUGINS", raising=False)
    monkeypatch.delenv("GENZOO_LOAD_PLUGINS", raising=False)

    def commands(cli):
        raise RuntimeError("cannot add my command")

    manager, _ = load_fake(monkeypatch, ("cmd", fake_plugin("fake_cmd", register_commands=commands)))
    manager.register_commands(argparse.ArgumentParser().add_subparsers())
    assert "cannot add my command" in manager.infos["cmd"].error


# -- documentation ---------------------------------------------------------------------------------
def hookspec_names() -> list[str]:
    tree = ast.parse((ROOT / "zoo" / "hookspecs.py").read_text())
    names = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)
             and any(isinstance(d, ast.Name) and d.id == "hookspec" for d in node.decorator_list)]
    assert len(names) >= 7, names
    return names


@pytest.mark.parametrize("hook", hookspec_names())
def test_plugin_hooks_are_documented(hook):
    docs = (ROOT / "docs" / "plugins.md").read_text()
    headings = re.findall(r"^#+\s+`?(\w+)\(", docs, flags=re.M)
    assert hook in headings, f"docs/plugins.md has no section for the hook {hook}"


def test_documented_hooks_exist():
    docs = (ROOT / "docs" / "plugins.md").read_text()
    documented = {h for h in re.findall(r"^#+\s+`?(register_\w+)\(", docs, flags=re.M)}
    assert documented == set(hookspec_names())


def test_example_plugin_implements_every_hook():
    """The tutorial's examples are this package's code, so it must implement every hook."""
    tree = ast.parse((EXAMPLES / "genzoo-plugin-example" / "src" / "genzoo_plugin_example" / "__init__.py").read_text())
    implemented = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)
                   and any(isinstance(d, ast.Name) and d.id == "hookimpl" for d in node.decorator_list)}
    assert implemented == set(hookspec_names())


# -- the example plugin's other records work (they are the tutorial's examples) ----------------------
def test_example_objective_converter_dataset_and_metric(example_in_process, tmp_path):
    import torch

    import zoo
    from zoo.build import build_objective
    from zoo.records import import_object

    catalog = example_in_process
    # the objective: Mao 2017 Eq. 2 with the 0-1-1 coding, checked by hand on tiny scores
    objective_cls = import_object(catalog.get("objective", "lsgan").builder)
    module = sys.modules[objective_cls.__module__]
    real, fake = torch.tensor([1.0, 0.0]), torch.tensor([0.5, -1.0])
    assert module.least_squares_d_loss(real, fake, a=0.0, b=1.0).item() == pytest.approx(0.5 * 0.5 + 0.5 * 0.625)
    assert module.least_squares_g_loss(fake, c=1.0).item() == pytest.approx(0.5 * (0.25 + 4.0) / 2)
    model = zoo.create("lsgan-mlp", config=catalog.architecture("lsgan-mlp").test_config)
    objective = build_objective(model.architecture, model.config, catalog)
    assert [(p.name, p.groups) for p in objective.schedule(0)] == [("discriminator", ("discriminator",)),
                                                                   ("generator", ("generator",))]

    # the converter: a reference checkpoint with G./D. prefixes loads into the components
    state = {f"G.{k}": v for k, v in model.generator.state_dict().items()}
    state.update({f"D.{k}": v for k, v in model["discriminator"].state_dict().items()})
    torch.save({"state_dict": state, "config": {"latent_dim": 4}}, tmp_path / "reference.pth")
    read = import_object(catalog.get("converter", "lsgan-mlp-reference").builder)
    config, states = read({"checkpoint": tmp_path / "reference.pth"})
    assert config == {"latent_dim": 4}
    for role, module_state in states.items():
        model[role].load_state_dict(module_state)  # strict: every key matched

    # the dataset: 8 modes on a ring, labelled, in [-1, 1]
    data = import_object(catalog.get("dataset", "blob-ring").builder)(resolution=16, split="train", size=64)
    images = data.tensors()["image"]
    assert images.shape == (64, 1, 16, 16) and images.min() >= -1 and images.max() <= 1
    assert set(data.labels.tolist()) == set(range(8))

    # the metric: a histogram of predicted classes, hand-computed
    coverage = import_object(catalog.get("metric", "mode-coverage").builder)
    collapsed = types.SimpleNamespace(logits=torch.tensor([[5.0, 0.0]] * 9 + [[0.0, 5.0]]))
    result = coverage(collapsed)
    assert result["mode_coverage"] == 0.5  # class 1 got 1 of 10 samples, under a quarter of its share (5)
    assert result["mode_kl"] == pytest.approx(0.9 * math.log(1.8) + 0.1 * math.log(0.2))


def test_the_tutorial_shows_the_example_package_s_real_code():
    """Code blocks headed `# examples/<path>` in docs/plugins.md are verbatim excerpts of that file."""
    docs = (ROOT / "docs" / "plugins.md").read_text()
    excerpts = re.findall(r"```\w+\n# (examples/\S+)\n(.*?)```", docs, flags=re.S)
    assert len(excerpts) >= 10
    for path, code in excerpts:
        assert code in (ROOT / path).read_text(), f"docs/plugins.md shows code that is not in {path}"
