"""Where the shipped files live: the only module that knows the top-level layout.

In a source checkout (and the editable install the Makefile makes) ``styles/`` and
``data/`` sit beside the ``pos`` package. A plain ``pip install .`` copies them to
``<prefix>/share/pos-till/`` (``[tool.setuptools.data-files]`` in pyproject.toml).
"""

from __future__ import annotations

import sys
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent
INSTALLED_ROOT = Path(sys.prefix) / "share" / "pos-till"


def shipped_root(source: Path = SOURCE_ROOT, installed: Path = INSTALLED_ROOT) -> Path:
    """The folder holding ``styles/`` and ``data/``: the checkout's, else the install's."""
    return source if (source / "styles").is_dir() else installed


ROOT = shipped_root()
STYLES_DIR = ROOT / "styles"
DATA_DIR = ROOT / "data"
DEMO_CATALOG = DATA_DIR / "demo_catalog.csv"
DEMO_DISCOUNTS = DATA_DIR / "demo_discounts.json"
