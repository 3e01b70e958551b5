"""Where the shipped files live: the only module that knows the top-level layout."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STYLES_DIR = ROOT / "styles"
DATA_DIR = ROOT / "data"
DEMO_CATALOG = DATA_DIR / "demo_catalog.csv"
DEMO_DISCOUNTS = DATA_DIR / "demo_discounts.json"
