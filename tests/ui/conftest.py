"""Every Pilot test here paints once, at its end (:mod:`tests.painting`), except the
tests of what is drawn: snapshots (``snap_compare``) and the tests marked ``paints``, which
read the screen."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _paint_at_the_end(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("paints") or "snap_compare" in request.fixturenames:
        return  # a test of what is drawn: painted as the till paints
    request.getfixturevalue("paint_once")
