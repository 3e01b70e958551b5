"""A wheel of the till, installed with ``pip install --target`` (the hardest case: nothing
under ``sys.prefix``), finds its styles and demo data through importlib.resources, and
needs no PostgreSQL driver unless the ``postgresql`` extra is asked for."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import pos

pytestmark = pytest.mark.slow

CHECKOUT = Path(pos.__file__).resolve().parent.parent

CHECK = """
import sys
from importlib.resources import files
from pathlib import Path

import pos
from pos.app import PosApp
from pos.paths import DEMO_CATALOG, DEMO_DISCOUNTS

target = Path(sys.argv[1])
assert Path(pos.__file__).is_relative_to(target), pos.__file__  # the installed copy
assert files("pos").joinpath("styles", "base.tcss").is_file()
assert files("pos").joinpath("data", "demo_catalog.csv").is_file()
assert all(Path(sheet).is_file() for sheet in PosApp.CSS_PATH), PosApp.CSS_PATH
assert DEMO_CATALOG.is_relative_to(target) and DEMO_CATALOG.is_file()
assert DEMO_DISCOUNTS.is_relative_to(target) and DEMO_DISCOUNTS.is_file()
print("found")
"""


def run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=120, **kwargs
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.mark.skipif(not (CHECKOUT / "pyproject.toml").is_file(), reason="needs the source checkout")
def test_a_target_install_finds_its_styles_and_demo_data(tmp_path: Path) -> None:
    # a copy of what the wheel is built from, so the build leaves the checkout as it was
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(CHECKOUT / name, source / name)
    shutil.copytree(CHECKOUT / "pos", source / "pos", ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    # setuptools from the test extra: no build environment to download and install
    run(*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", dist, source)
    (wheel,) = dist.glob("pos_till-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        requires = [
            line
            for line in archive.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist: psycopg")
        ]
    assert requires
    assert all('extra == "postgresql"' in line for line in requires), requires  # not the base

    target = tmp_path / "target"
    run(*pip, "install", "-q", "--no-deps", "--no-index", "--target", target, wheel)
    env = {**os.environ, "PYTHONPATH": str(target)}  # its dependencies: this environment's
    assert run(sys.executable, "-c", CHECK, target, env=env, cwd=tmp_path).stdout == "found\n"

    pos_command = target / "bin" / "pos"
    assert "Usage: pos" in run(pos_command, "--help", env=env, cwd=tmp_path).stdout
