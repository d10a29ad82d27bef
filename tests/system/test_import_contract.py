"""The layers hold: entry point over lab over console over IOS language over core; the service
layer (pkitui.core) never imports Textual, the console or the IOS language; ios never imports Textual."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Imports every module under pkitui.core, then lists the forbidden ones that got loaded.
PROBE = r"""
import importlib, pkgutil, sys
import pkitui.core
names = sorted(m.name for m in pkgutil.walk_packages(pkitui.core.__path__, "pkitui.core."))
for name in names:
    importlib.import_module(name)
print(len(names))
print(" ".join(sorted(m for m in sys.modules
                      if m.split(".")[0] == "textual" or m.startswith(("pkitui.tui", "pkitui.ios")))))
"""


def test_importing_all_of_core_loads_no_ui() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    count, forbidden = (result.stdout.splitlines() + [""])[:2]
    assert int(count) >= 12, "the probe saw the core modules"
    assert forbidden == "", f"pkitui.core pulled in: {forbidden}"


def test_import_linter_contract_is_kept() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is a test dependency (pip install -e '.[test]')"
    result = subprocess.run([lint, "--no-cache"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in ("The service layer never imports the UI",
                     "Layers: entry point over lab over console over IOS language over core",
                     "The IOS language never imports Textual"):
        assert f"{contract} KEPT" in result.stdout
    assert "Contracts: 3 kept, 0 broken." in result.stdout
