"""Where the shipped files live: the style sheets and the demo data.

They are package data of ``pos`` (``pos/styles/``, ``pos/data/``, listed under
``[tool.setuptools.package-data]``), found through :mod:`importlib.resources`, so every
kind of install finds them beside the code: editable, ``--user``, ``--prefix`` and
``--target`` alike.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def package_folder(name: str) -> Path:
    """A folder of package data, as a path on disk (Textual opens style sheets by path).

    Raises:
        RuntimeError: the package is not a folder on disk (a zip import): the till needs one.
    """
    folder = files("pos") / name
    if not isinstance(folder, Path):
        raise RuntimeError(f"pos must be installed as files on disk, not in {folder}")
    return folder


STYLES_DIR = package_folder("styles")
DATA_DIR = package_folder("data")
DEMO_CATALOG = DATA_DIR / "demo_catalog.csv"
DEMO_DISCOUNTS = DATA_DIR / "demo_discounts.json"
