"""Every Pilot test here paints once, at its end (:mod:`tests.painting`), unless it is
marked ``paints``: what the till draws is the snapshots' to test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _paint_at_the_end(request: pytest.FixtureRequest) -> None:
    if not request.node.get_closest_marker("paints"):
        request.getfixturevalue("paint_once")
