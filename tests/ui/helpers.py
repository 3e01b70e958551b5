"""Driving the till like a keyboard-wedge scanner does."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual import events
from textual.app import App
from textual.pilot import Pilot

_KEY_NAMES = {"*": "asterisk", ".": "full_stop", "+": "plus", "-": "minus", "\n": "enter"}


def burst(app: App[object], text: str) -> None:
    """Queue key events as fast as a terminal delivers them: no pause between keys.

    ``Pilot.press`` waits for the app to go idle after every key, which no scanner
    does; this puts every key in the app's queue at once.
    """
    driver = app._driver
    assert driver is not None
    for char in text:
        key = _KEY_NAMES.get(char, char)
        driver.send_message(events.Key(key, None if key == "enter" else char))


def at_once(app: App[object], *keys: str) -> None:
    """Queue ``keys`` (Textual key names such as ``f10`` and ``down``, or single
    characters) in one go, as a terminal delivers what was typed ahead in one read."""
    driver = app._driver
    assert driver is not None
    for key in keys:
        name = _KEY_NAMES.get(key, key)
        char = key if len(key) == 1 else ("\r" if name == "enter" else None)
        driver.send_message(events.Key(name, char))


async def scan(pilot: Pilot[object], code: str) -> None:
    """One scan at scanner speed, then wait for the screen to catch up."""
    burst(pilot.app, code + "\n")
    await settle(pilot)


async def until(pilot: Pilot[object], condition: Callable[[], bool], seconds: float = 15.0) -> None:
    """Pause until ``condition()`` holds, for at most ``seconds`` of wall time (a
    loaded machine, or four test workers on two cores, can take many pauses); fail
    clearly if it never does."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the screen never reached the expected state")
        await pilot.pause()


async def settle(pilot: Pilot[object], rounds: int = 3) -> None:
    for _ in range(rounds):
        await pilot.pause()


async def sell(pilot: Pilot[object], *codes: str) -> None:
    """Scan ``codes``, pay the exact amount in cash and leave the receipt for a new sale."""
    for code in codes:
        await scan(pilot, code)
    await pilot.press("f10")
    await settle(pilot)
    await pilot.press("f5")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
