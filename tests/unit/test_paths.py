"""Where the styles and the demo data are found: beside the package, or where a plain
``pip install .`` puts them (``[tool.setuptools.data-files]``)."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from pos.paths import INSTALLED_ROOT, SOURCE_ROOT, shipped_root


def test_a_checkout_uses_its_own_folders(tmp_path: Path) -> None:
    (tmp_path / "styles").mkdir()
    assert shipped_root(tmp_path, tmp_path / "elsewhere") == tmp_path


def test_an_install_uses_the_prefix_share_folder(tmp_path: Path) -> None:
    # site-packages has no styles/ beside the package
    assert shipped_root(tmp_path, INSTALLED_ROOT) == INSTALLED_ROOT


def test_every_shipped_file_is_in_the_install() -> None:
    """A new style sheet or data file cannot be left out of a non-editable install."""
    project = tomllib.loads((SOURCE_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data_files: dict[str, list[str]] = project["tool"]["setuptools"]["data-files"]
    for folder in ("styles", "data"):
        target = f"share/pos-till/{folder}"
        assert target in data_files, target
        patterns = data_files[target]
        for path in sorted((SOURCE_ROOT / folder).iterdir()):
            relative = f"{folder}/{path.name}"
            assert any(fnmatch.fnmatch(relative, p) for p in patterns), relative
