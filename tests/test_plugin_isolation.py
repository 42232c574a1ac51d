"""Plugin isolation against plugins that misbehave in every way seen (issue 10): sys.exit() and
KeyboardInterrupt at import or in a hook, a half-successful registration (rolled back whole), a slow
plugin (named on stderr), an entry point that takes a built-in's name (reported, naming both); and a
real Ctrl-C during loading still stops the program.

Third-party packages are made as bare `*.dist-info` folders with an entry_points.txt in a temporary
folder that only the subprocesses see (PYTHONPATH); nothing is installed.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from zoo import plugins, records
from zoo.errors import PluginError
from zoo.registry import Catalog

from fake_plugins import architecture, fake_plugin

ROOT = Path(__file__).resolve().parent.parent

EXITS = "import sys\nsys.exit(7)\n"
INTERRUPTS = "raise KeyboardInterrupt('from the plugin')\n"
USER_CTRL_C = "import os, signal\nos.kill(os.getpid(), signal.SIGINT)\nimport time\ntime.sleep(5)\n"
EVIL_DEFAULT = '''
from zoo import records
from zoo.hookspecs import hookimpl

@hookimpl
def register_architectures(register):
    register(records.Architecture(name="evil-arch", paper=records.Paper(title="t", authors="a", year=2024),
                                  components={"generator": "nowhere:G"}))

@hookimpl
def register_weights(register):
    source = records.WeightSource(repo_id="evil/evil", files={})
    register(records.WeightSet(name="dcgan.relprobe-evil", architecture="dcgan", source=source, default=True))
'''
LATE = '''
from zoo import records
from zoo.hookspecs import hookimpl

@hookimpl
def register_architectures(register):
    register(records.Architecture(name="late-arch", paper=records.Paper(title="t", authors="a", year=2024),
                                  components={"generator": "nowhere:G"}))
'''
SHADOW = "raise RuntimeError('the shadowing dcgan must never be imported')\n"


def make_site(root: Path, dist: str, modules: dict[str, str], entry_points: list[tuple[str, str]]) -> Path:
    """A folder with `modules` and a dist-info declaring `entry_points` (name, module) in the genzoo group."""
    root.mkdir(parents=True, exist_ok=True)
    for module, code in modules.items():
        (root / f"{module}.py").write_text(code)
    info = root / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[genzoo]\n" + "".join(f"{n} = {m}\n" for n, m in entry_points))
    return root


def zoo_cli(*args: str, site: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GENZOO_")}
    full_env.update(PYTHONPATH=os.pathsep.join([str(site), str(ROOT), str(ROOT / "plugins")]),
                    HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "zoo.cli", *args], capture_output=True, text=True,
                          env=full_env, timeout=120, cwd=str(site), preexec_fn=_sigint_as_on_a_terminal)


def _sigint_as_on_a_terminal() -> None:
    """A program started in the background by a non-interactive shell inherits SIGINT ignored (and
    Python then installs no Ctrl-C handler); the child gets the default a user at a terminal has."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    return make_site(tmp_path_factory.mktemp("hostile"), "evil-dist",
                     {"plug_exits": EXITS, "plug_interrupts": INTERRUPTS, "plug_evil_default": EVIL_DEFAULT,
                      "plug_late": LATE, "plug_shadow": SHADOW},
                     [("exits", "plug_exits"), ("interrupts", "plug_interrupts"),
                      ("evil-default", "plug_evil_default"), ("late", "plug_late"), ("dcgan", "plug_shadow")])


def test_misbehaving_plugins_are_recorded_and_the_rest_keeps_working(hostile_site):
    done = zoo_cli("plugins", site=hostile_site)
    assert done.returncode == 0, done.stderr
    report = {p["name"]: p for p in json.loads(done.stdout)}
    assert report["exits"]["error"] == "SystemExit: 7"
    assert report["interrupts"]["error"] == "KeyboardInterrupt: from the plugin"
    assert "two default weight sets" in report["evil-default"]["error"]
    assert report["evil-default"]["registered"] == {}
    assert report["late"]["error"] is None and report["late"]["registered"] == {"Architecture": ["late-arch"]}
    for name in ("dcgan", "gan", "vae"):
        assert report[name]["error"] is None, report[name]
    shadow = report["dcgan:evil-dist"]["error"]
    assert "built-in" in shadow and "zoo_plugins.dcgan" in shadow and "plug_shadow" in shadow

    listed = zoo_cli("list", site=hostile_site)
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert "late-arch" in names and "dcgan" in names and "evil-arch" not in names  # rolled back whole
    pretrained = zoo_cli("list", "--pretrained", site=hostile_site)
    assert "relprobe-evil" not in pretrained.stdout
    assert "dcgan.digits-32                  digits" in pretrained.stdout and "(default)" in pretrained.stdout


def test_strict_mode_reports_a_plugin_s_sys_exit_as_a_plugin_error(hostile_site):
    done = zoo_cli("list", site=hostile_site, env={"GENZOO_STRICT_PLUGINS": "1", "GENZOO_LOAD_PLUGINS": "gan,exits"})
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == ["zoo: error: plugin 'exits' (plug_exits) failed: SystemExit: 7"]


def test_a_name_collision_is_fatal_in_strict_mode(hostile_site):
    done = zoo_cli("list", site=hostile_site, env={"GENZOO_STRICT_PLUGINS": "1", "GENZOO_LOAD_PLUGINS": "dcgan"})
    assert done.returncode == 2 and "dcgan:evil-dist" in done.stderr and "Traceback" not in done.stderr


def test_a_user_ctrl_c_while_plugins_load_stops_the_program(tmp_path):
    site = make_site(tmp_path / "ctrlc", "ctrlc-dist", {"plug_ctrl_c": USER_CTRL_C}, [("ctrl-c", "plug_ctrl_c")])
    done = zoo_cli("list", site=site)
    assert done.returncode == 130
    assert done.stderr.strip().splitlines()[-1] == "zoo: interrupted"
    assert "Traceback" not in done.stderr


# -- in-process, with fake plugins (the pattern of test_plugins.py) ----------------------------------------


def load_fake(monkeypatch, *fakes) -> tuple[plugins.PluginManager, Catalog]:
    """`fakes` are (name, loader) pairs; a fresh manager and catalogue see only them, in this order."""
    monkeypatch.setattr(plugins, "_candidates", lambda: [(name, name, "1.0", loader) for name, loader in fakes])
    monkeypatch.setattr(plugins, "name_collisions", lambda: [])
    manager, catalog = plugins.PluginManager(), Catalog()
    manager.load(catalog)
    return manager, catalog


@pytest.fixture(autouse=True)
def _no_plugin_env(monkeypatch):
    for var in ("GENZOO_STRICT_PLUGINS", "GENZOO_LOAD_PLUGINS", "GENZOO_PLUGIN_WARN_SECONDS"):
        monkeypatch.delenv(var, raising=False)


def test_keyboard_interrupt_in_a_hook_is_that_plugin_s_error_and_is_unregistered(monkeypatch):
    def interrupting(register):
        register(architecture("half"))
        raise KeyboardInterrupt("in a hook")

    bad = fake_plugin("fake_interrupting", register_architectures=interrupting)
    good = fake_plugin("fake_fine", register_architectures=lambda register: register(architecture("fine")))
    manager, catalog = load_fake(monkeypatch, ("bad", lambda: bad), ("good", lambda: good))
    assert manager.infos["bad"].error == "KeyboardInterrupt: in a hook"
    assert manager.pm.get_plugin("bad") is None and manager.pm.get_plugin("good") is good
    assert catalog.names("architecture") == ["fine"]


def test_a_failing_plugin_s_default_weight_set_is_rolled_back_with_all_its_records(monkeypatch):
    source = records.WeightSource(repo_id="x/y", files={})

    def first_weights(register):
        register(records.WeightSet(name="arch.one", architecture="arch", source=source, default=True))

    def second_weights(register):
        register(records.WeightSet(name="arch.extra", architecture="arch", source=source))
        register(records.WeightSet(name="arch.two", architecture="arch", source=source, default=True))

    def third_weights(register):
        register(records.WeightSet(name="arch.three", architecture="arch", source=source))

    manager, catalog = load_fake(
        monkeypatch, ("first", lambda: fake_plugin("f1", register_weights=first_weights)),
        ("second", lambda: fake_plugin("f2", register_weights=second_weights,
                                       register_architectures=lambda register: register(architecture("arch2")))),
        ("third", lambda: fake_plugin("f3", register_weights=third_weights)))
    assert "two default weight sets" in manager.infos["second"].error
    assert manager.infos["third"].error is None  # not blamed for the second plugin's default
    assert catalog.names("weight set") == ["arch.one", "arch.three"]
    assert catalog.names("architecture") == []
    assert catalog.weight_set("arch.one").default and manager.pm.get_plugin("second") is None


def test_sys_exit_at_import_is_recorded_and_strict_mode_turns_it_into_a_plugin_error(monkeypatch):
    def exits():
        sys.exit(3)

    manager, _ = load_fake(monkeypatch, ("exits", exits))
    assert manager.infos["exits"].error == "SystemExit: 3"
    monkeypatch.setenv("GENZOO_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match="plugin 'exits' .*SystemExit: 3"):
        load_fake(monkeypatch, ("exits", exits))


def test_a_slow_plugin_is_named_in_one_line_on_stderr(monkeypatch, capsys):
    def slow():
        time.sleep(0.3)
        return fake_plugin("fake_slow")

    monkeypatch.setenv("GENZOO_PLUGIN_WARN_SECONDS", "0.1")
    load_fake(monkeypatch, ("slow", slow), ("quick", lambda: fake_plugin("fake_quick")))
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zoo: note: plugin 'slow' (slow) took")
    assert "GENZOO_PLUGIN_WARN_SECONDS=0.1" in lines[0]
    monkeypatch.setenv("GENZOO_PLUGIN_WARN_SECONDS", "100")
    load_fake(monkeypatch, ("slow", slow))
    assert capsys.readouterr().err == ""


def test_a_failing_register_commands_hook_may_even_exit(monkeypatch):
    import argparse

    def commands(cli):
        raise SystemExit(9)

    manager, _ = load_fake(monkeypatch, ("cmd", lambda: fake_plugin("fake_cmd_exit", register_commands=commands)))
    manager.register_commands(argparse.ArgumentParser().add_subparsers())
    assert manager.infos["cmd"].error == "register_commands: SystemExit: 9"


def test_entry_points_sharing_a_name_keep_the_built_in_and_report_the_other(monkeypatch):
    def ep(name, value, dist):
        meta = types.SimpleNamespace(metadata={"Name": dist}, version="9.9")
        return types.SimpleNamespace(name=name, value=value, dist=meta, load=lambda: None)

    fakes = [ep("dcgan", "evil_dcgan", "evil-dist"), ep("dcgan", "zoo_plugins.dcgan", "genzoo"),
             ep("other", "mod_a", "dist-a"), ep("other", "mod_b", "dist-b")]
    monkeypatch.setattr(plugins.metadata, "entry_points", lambda group: fakes)
    kept = {name: module for name, module, _, _ in plugins._candidates()}
    assert kept["dcgan"] == "zoo_plugins.dcgan" and kept["other"] == "mod_a"
    reported = {info.name: info.error for info in plugins.name_collisions()}
    assert set(reported) == {"dcgan:evil-dist", "other:dist-b"}
    assert "taken by the built-in plugin (zoo_plugins.dcgan)" in reported["dcgan:evil-dist"]
    assert "evil-dist (evil_dcgan)" in reported["dcgan:evil-dist"]
    assert "the plugin of dist-a (mod_a)" in reported["other:dist-b"]
