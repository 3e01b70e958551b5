"""The styles and the demo data are package data of ``pos``: every file is listed for the
wheel, and :mod:`pos.paths` finds them through importlib.resources."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pos
from pos import paths

PACKAGE = Path(pos.__file__).parent
PROJECT = PACKAGE.parent / "pyproject.toml"


def test_the_folders_are_the_package_s_own() -> None:
    assert paths.STYLES_DIR == PACKAGE / "styles"
    assert paths.DATA_DIR == PACKAGE / "data"
    assert paths.DEMO_CATALOG.is_file()
    assert paths.DEMO_DISCOUNTS.is_file()


def test_every_shipped_file_is_in_the_wheel() -> None:
    """A new style sheet or data file cannot be left out of a non-editable install."""
    project = tomllib.loads(PROJECT.read_text(encoding="utf-8"))
    patterns: list[str] = project["tool"]["setuptools"]["package-data"]["pos"]
    shipped = [p for folder in (paths.STYLES_DIR, paths.DATA_DIR) for p in folder.iterdir()]
    assert shipped
    for path in sorted(shipped):
        relative = path.relative_to(PACKAGE).as_posix()
        assert any(fnmatch.fnmatch(relative, p) for p in patterns), relative
