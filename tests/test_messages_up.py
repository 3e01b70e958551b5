"""Attributes down, messages up (issue 18, item 2): screens ask the app with the messages
of ``pos/screens/requests.py``, never by looking its methods up, and the app calls a
screen through its class, so no ``getattr(self.app, ...)`` and no
``type: ignore[attr-defined]`` is left in ``pos/``."""

from __future__ import annotations

import re
from pathlib import Path

POS = Path(__file__).resolve().parent.parent / "pos"

FORBIDDEN = {
    "a screen looks the app's methods up": re.compile(r"getattr\(\s*(?:\w+\.)*app\s*,"),
    "an attribute the type checker cannot see": re.compile(r"type:\s*ignore\[[^\]]*attr-defined"),
}


def offences(root: Path) -> list[str]:
    """``path:line: why`` for every forbidden pattern in the Python files under ``root``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for why, pattern in FORBIDDEN.items():
                if pattern.search(line):
                    found.append(f"{path.relative_to(root.parent)}:{number}: {why}")
    return found


def test_no_app_lookups_and_no_attr_defined_ignores() -> None:
    assert offences(POS) == [], "post a request (pos/screens/requests.py) instead"


def test_the_check_finds_them(tmp_path: Path) -> None:
    """The check can fail: each pattern, as it was written before, is found."""
    package = tmp_path / "pos"
    package.mkdir()
    (package / "screen.py").write_text(
        'lock = getattr(self.app, "lock_till", None)\n'
        'opener = getattr(screen.app, "open_report", None)\n'
        "screen.sale_completed(no)  # type: ignore[attr-defined]\n"
        "fine = getattr(exc, 'reason', None)\n",
        encoding="utf-8",
    )
    assert [line.split(": ", 1)[0] for line in offences(package)] == [
        "pos/screen.py:1",
        "pos/screen.py:2",
        "pos/screen.py:3",
    ]
