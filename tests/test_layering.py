"""The layering of the code, checked by import-linter (contracts in pyproject.toml): plugins → zoo only,
no plugin importing another, no import circle inside any package, the core's layers; and every module
of the core small enough to read in one sitting."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400
CONTRACTS = {"The core never imports a plugin", "Plugins never import each other", "No import circles",
             "The core's layers"}


def lint_imports(config: Path) -> subprocess.CompletedProcess:
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(config_filename=sys.argv[1]))"
    return subprocess.run([sys.executable, "-c", code, str(config)], capture_output=True, text=True,
                          cwd=str(ROOT), timeout=300)


def test_import_contracts_hold():
    tomllib = pytest.importorskip("tomllib")
    declared = {c["name"] for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]}
    assert CONTRACTS <= declared, f"contracts missing from pyproject.toml: {CONTRACTS - declared}"
    done = lint_imports(ROOT / "pyproject.toml")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "BROKEN" not in done.stdout and done.stdout.count("KEPT") >= len(CONTRACTS)


def test_the_contracts_catch_a_core_module_importing_a_plugin(tmp_path):
    """The forbidden contract is live: a stand-in core package that imports a plugin breaks it."""
    pkg = tmp_path / "corepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "bad.py").write_text("import zoo_plugins.gan\n")
    config = tmp_path / "contracts.toml"
    config.write_text('[tool.importlinter]\nroot_packages = ["corepkg", "zoo_plugins"]\n\n'
                      '[[tool.importlinter.contracts]]\nname = "no plugins"\ntype = "forbidden"\n'
                      'source_modules = ["corepkg"]\nforbidden_modules = ["zoo_plugins"]\n')
    code = ("import sys; sys.path.insert(0, sys.argv[2]); from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(config_filename=sys.argv[1]))")
    done = subprocess.run([sys.executable, "-c", code, str(config), str(tmp_path)], capture_output=True,
                          text=True, cwd=str(ROOT), timeout=300)
    assert done.returncode != 0 and "BROKEN" in done.stdout, done.stdout[-2000:]


def test_core_modules_are_small():
    files = sorted((ROOT / "zoo").rglob("*.py"))
    assert len(files) > 50, "the scan covers the core"
    too_long = {str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not too_long, f"modules over {MAX_LINES} lines (split them by job): {too_long}"
