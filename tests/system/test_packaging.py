"""The wheel: it carries styles/*.tcss, installs into a fresh venv and runs from outside the repo."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel once, with the build backend already in the test venv (no download)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)],
        check=True, capture_output=True, text=True, cwd=out,
    )
    (built,) = out.glob("pkitui-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the wheel installed (--no-deps); the dependencies come from the test
    venv's site-packages through a .pth line, so nothing is downloaded. A plain path line does
    not run that directory's own .pth files, so the repo's editable install stays invisible."""
    root = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    (Path(site) / "test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True, text=True,
    )
    return root


def run_outside(venv: Path, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PKITUI_STORE"] = str(tmp_path / "store")
    return subprocess.run(list(args), capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)


def test_wheel_carries_the_styles(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    repo_styles = sorted(p.name for p in (REPO / "styles").glob("*.tcss"))
    assert repo_styles, "styles/*.tcss exist at the top of the repo"
    assert sorted(Path(n).name for n in names if n.startswith("pkitui/styles/") and n.endswith(".tcss")) == repo_styles
    assert "pkitui/core/pki.py" in names and "pkitui/__main__.py" in names
    assert not [n for n in names if n.startswith("tests/")]
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "pkitui = pkitui.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_runs_from_outside_the_repo(venv: Path, tmp_path: Path) -> None:
    result = run_outside(venv, str(venv / "bin" / "python"), "-m", "pkitui", "--help", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "usage: pkitui" in result.stdout and "exec" in result.stdout
    script = run_outside(venv, str(venv / "bin" / "pkitui"), "--help", tmp_path=tmp_path)
    assert script.returncode == 0, script.stderr
    assert script.stdout == result.stdout


def test_installed_package_is_the_wheel_and_finds_its_styles(venv: Path, tmp_path: Path) -> None:
    code = (
        "import importlib.resources, pkitui\n"
        "from pkitui.tui.app import styles_dir\n"
        "res = importlib.resources.files('pkitui') / 'styles'\n"
        "print(pkitui.__file__)\n"
        "print(styles_dir())\n"
        "print(sorted(p.name for p in res.iterdir() if p.name.endswith('.tcss')))\n"
    )
    result = run_outside(venv, str(venv / "bin" / "python"), "-c", code, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    module_file, styles, resources = result.stdout.splitlines()
    assert Path(module_file).is_relative_to(venv) and not Path(module_file).is_relative_to(REPO)
    assert Path(styles).is_relative_to(venv) and (Path(styles) / "app.tcss").is_file()
    assert resources == str(sorted(p.name for p in (REPO / "styles").glob("*.tcss")))


def test_installed_wheel_runs_exec(venv: Path, tmp_path: Path) -> None:
    result = run_outside(
        venv, str(venv / "bin" / "pkitui"), "exec", "-c", "hostname r1", "-c", "ip domain-name example.com",
        "-c", "copy system:running-config nvram:startup-config", tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "store" / "nvram.json").is_file()


def test_wheel_carries_the_agent_units(wheel: Path) -> None:
    """pkitui agent --print-unit reads its systemd units from the package."""
    names = zipfile.ZipFile(wheel).namelist()
    units = sorted(p.name for p in (REPO / "pkitui" / "data").iterdir() if p.suffix in (".service", ".timer"))
    assert units == ["pkitui-agent-once.service", "pkitui-agent-once.timer", "pkitui-agent.service"]
    assert all(f"pkitui/data/{u}" in names for u in units)


def test_printed_units_run_this_install_on_the_store_given(venv: Path, tmp_path: Path) -> None:
    """The unit printed runs the installed console script by its absolute path (systemd's PATH has no
    venv in it) on the store given, not the template's /usr/bin/env pkitui and /var/lib/pkitui/store."""
    store = tmp_path / "var lib" / "pkitui"
    service = run_outside(venv, str(venv / "bin" / "pkitui"), "agent", "--store", str(store), "--print-unit",
                          "service", tmp_path=tmp_path)
    assert service.returncode == 0, service.stderr
    assert f"\nExecStart={venv / 'bin' / 'pkitui'} agent\n" in service.stdout
    assert f'\nEnvironment="PKITUI_STORE={store}"\n' in service.stdout  # quoted: the path has a space
    assert "/usr/bin/env" not in service.stdout and "/var/lib/pkitui/store" not in service.stdout
    once = run_outside(venv, str(venv / "bin" / "pkitui"), "agent", "--print-unit", "once-service", tmp_path=tmp_path)
    assert f"\nExecStart={venv / 'bin' / 'pkitui'} agent --once\n" in once.stdout  # PKITUI_STORE: run_outside's
    assert f"\nEnvironment=PKITUI_STORE={tmp_path / 'store'}\n" in once.stdout
    module = run_outside(venv, str(venv / "bin" / "python"), "-m", "pkitui", "agent", "--print-unit", "service",
                         tmp_path=tmp_path)
    assert f"\nExecStart={venv / 'bin' / 'python'} -m pkitui agent\n" in module.stdout
    timer = run_outside(venv, str(venv / "bin" / "pkitui"), "agent", "--print-unit", "once-timer", tmp_path=tmp_path)
    assert "[Timer]" in timer.stdout
