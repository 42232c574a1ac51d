"""What the core imports: `import zoo` loads no plugin and no torch, `zoo --help` and `zoo list` answer
without torch, and no module of the core imports a plugin (arrows point one way: plugins → zoo).
"""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "zoo"
# top-level packages of plugins: the built-ins, and the example packages in examples/
PLUGIN_PACKAGES = {"zoo_plugins"} | {
    p.name for p in (ROOT / "examples").glob("*/src/*") if p.is_dir() and (p / "__init__.py").exists()}
IMPORT_PATH = re.compile(r"^(\w+)(\.\w+)*(:\w+)?$")


def run_python(code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENZOO_")}
    env.update(OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                          cwd=str(ROOT))


def test_importing_zoo_imports_no_plugin_and_no_torch():
    done = run_python(
        "import sys, zoo\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'torch', *%r})\n"
        "print(repr(bad))\n" % sorted(PLUGIN_PACKAGES))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"import zoo loaded {done.stdout.strip()}"


CLI_WITHOUT_TORCH = """
import sys
from zoo.cli import main
try:
    code = main({argv!r})
except SystemExit as exit:  # --help exits
    code = exit.code
assert code in (0, None), code
loaded = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
assert not loaded, "zoo {command} imported torch"
"""


@pytest.mark.parametrize("argv, expected", [(["--help"], "usage: zoo"), (["list"], "dcgan"),
                                            (["list", "--pretrained"], ""), (["plugins"], '"name": "gan"')],
                         ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_cli_answers_without_importing_torch(argv, expected):
    done = run_python(CLI_WITHOUT_TORCH.format(argv=argv, command=" ".join(argv)))
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout


def core_modules() -> list[Path]:
    files = sorted(CORE.rglob("*.py"))
    assert len(files) >= 15, files  # the scan covers the core, not an empty folder
    return files


def plugin_references(path: Path) -> list[str]:
    """"module[:attr]" strings naming a plugin (lazy builders, which import-linter cannot see: it checks
    the import statements, tests/test_layering.py), and import statements of plugin packages."""
    tree = ast.parse(path.read_text(), filename=str(path))
    allowed = _default_plugins_strings(tree) if path == CORE / "plugins.py" else set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else []
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and IMPORT_PATH.match(node.value):
            names = [] if id(node) in allowed else [node.value]
        else:
            continue
        found += [f"line {node.lineno}: {n}" for n in names if n.split(".")[0].split(":")[0] in PLUGIN_PACKAGES]
    return found


def _default_plugins_strings(tree: ast.Module) -> set[int]:
    """The plugin manager may name the built-in plugins in DEFAULT_PLUGINS (for an uninstalled checkout)."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DEFAULT_PLUGINS" for t in node.targets):
            return {id(c) for c in ast.walk(node.value) if isinstance(c, ast.Constant)}
    return set()


def test_the_core_never_imports_a_plugin():
    offences = {str(p.relative_to(ROOT)): refs for p in core_modules() if (refs := plugin_references(p))}
    assert not offences, f"the core imports plugins: {offences}"


def test_the_scan_would_catch_an_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import zoo_plugins.gan\nfrom zoo_plugins.dcgan import networks\n"
                   "BUILDER = 'zoo_plugins.gan.networks:MLPGenerator'\nimport zoo.records\n")
    assert plugin_references(bad) == ["line 1: zoo_plugins.gan", "line 2: zoo_plugins.dcgan",
                                      "line 3: zoo_plugins.gan.networks:MLPGenerator"]


def test_default_plugins_mirror_the_entry_points():
    """A source checkout without installed metadata loads the same plugins, under the same names."""
    tomllib = pytest.importorskip("tomllib")
    from zoo.plugins import DEFAULT_PLUGINS

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["genzoo"]
    assert declared == DEFAULT_PLUGINS


def test_output_cut_short_by_a_pipe_is_no_error():
    """`zoo plugins | head -1`: the reader leaves early; zoo exits quietly instead of a traceback."""
    result = subprocess.run(f"{sys.executable} -m zoo.cli plugins | head -c 1", shell=True, cwd=str(ROOT),
                            capture_output=True, text=True, timeout=60)
    assert result.stdout == "["
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
