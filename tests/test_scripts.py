"""The start and install scripts, run on a copy of the repository with stub programs."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUB = '#!/bin/sh\necho "$(basename "$0") $*" >> "$(dirname "$0")/../../calls.log"\n'


def _checkout(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("python", "flask", "gunicorn"):
        (bin_dir / name).write_text(STUB)
        (bin_dir / name).chmod(0o755)
    return tmp_path


def _serve(repo: Path) -> list[str]:
    log = repo / "calls.log"
    log.unlink(missing_ok=True)
    subprocess.run(
        ["bash", "scripts/serve.sh"],
        cwd=repo,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "TROVE_NO_DEMO": "1"},
    )
    return log.read_text().splitlines()


def _pip_runs(calls: list[str]) -> int:
    return sum(1 for line in calls if line.startswith("python -m pip install"))


def test_serve_installs_only_when_pyproject_changed(tmp_path):
    repo = _checkout(tmp_path)
    first = _serve(repo)
    assert _pip_runs(first) == 3  # pip itself, Trove, then the face model (no deps)
    assert first[-1].startswith("gunicorn ")
    again = _serve(repo)
    assert _pip_runs(again) == 0
    assert again[-1].startswith("gunicorn ")
    with (repo / "pyproject.toml").open("a") as f:
        f.write("\n# a new dependency\n")
    assert _pip_runs(_serve(repo)) == 3


def test_licence_is_an_spdx_string_for_current_setuptools():
    # A {text = ...} table makes setuptools print deprecation warnings on every install.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"
    requires = project["build-system"]["requires"]
    assert any(r.startswith("setuptools>=") and int(r.split(">=")[1]) >= 77 for r in requires)
