"""Issue 17 item 1, SECURITY.md (no secret shown or written): an error nobody expected
never ends the till with Textual's crash report (which prints local variables, such as
a PIN being checked). It goes to the log without its text; the till locks with the cart
kept and carries on; only a failure of the app's own loop ends it, with a short message."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from pos.app import PosApp
from pos.logs import configure_logging
from pos.screens import LoginScreen, ScanScreen
from pos.screens.modals import ManagerOverrideModal
from tests.conftest import CASHIER, MANAGER
from tests.ui.helpers import scan, settle, until

SIZE = (100, 30)
PEN = "4006381333931"
LEMON = "5000000000012"
AppFactory = Callable[..., PosApp]
SECRET_PIN = "7391"


@pytest.fixture
def log_path(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = configure_logging(tmp_path / "logs")
    assert path is not None
    yield path
    logger = logging.getLogger("pos")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _approve_and_fail(number: str, pin: str) -> str:
    checked = {"number": number, "pin": pin}  # a local a crash report would print
    raise RuntimeError(f"unexpected while checking {len(checked)} fields")


async def test_a_dialog_that_fails_locks_the_till_and_keeps_the_cart(
    app_factory: AppFactory, log_path: Path
) -> None:
    """S-13: the error is in the log (type and place, no PIN); the cashier sees the login
    with what happened; the cart is kept and the till goes on after the login."""
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        app.push_screen(ManagerOverrideModal(_approve_and_fail, "Void line 1"))
        await settle(pilot)
        await pilot.press(*MANAGER[0], "enter", *SECRET_PIN, "enter")
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        assert app.is_running
        assert [type(e) for e in app.recovered] == [RuntimeError]
        app.recovered.clear()
        shown = str(app.screen.query_one("#login-message").render())
        assert "Something went wrong (RuntimeError)" in shown
        assert SECRET_PIN not in shown
        await pilot.press(*CASHIER[0], "enter", *CASHIER[1], "enter")
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        await scan(pilot, LEMON)
        assert [line.name for line in app.services.checkout.cart.lines] == [
            "Highlighter pen yellow",
            "Lemons unwaxed",
        ]
    text = _read(log_path)
    assert "RuntimeError at test_faults_on_screen.py" in text
    assert SECRET_PIN not in text
    assert "checked" not in text


async def test_a_failing_action_of_the_scanning_screen_does_not_end_the_till(
    app_factory: AppFactory, log_path: Path
) -> None:
    """The scanning screen's actions run on the app's own loop: a failure there locks the
    till (the keys after it still work) instead of killing the loop every key uses."""
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        screen = app.screen
        assert isinstance(screen, ScanScreen)

        def broken() -> None:
            pin = SECRET_PIN  # noqa: F841 - what a crash report would show
            raise KeyError("boom")

        screen.action_park = broken  # type: ignore[method-assign]
        await pilot.press("f6")
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        assert [type(e) for e in app.recovered] == [KeyError]
        app.recovered.clear()
        await pilot.press(*CASHIER[0], "enter", *CASHIER[1], "enter")
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        await scan(pilot, LEMON)
        assert len(app.services.checkout.cart) == 2
    assert SECRET_PIN not in _read(log_path)


async def test_a_failure_of_the_app_itself_ends_it_without_a_traceback(
    app_factory: AppFactory, log_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the terminal shows after the app's own loop failed: one sentence, the log's
    place, no traceback and no local variables."""
    app = app_factory(login=CASHIER)

    def broken() -> None:
        pin = SECRET_PIN  # noqa: F841
        raise ValueError("boom")

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            app.call_later(broken)
            await pilot.pause()

    with pytest.raises(ValueError, match="boom"):  # a test run re-raises it at the end
        await run()
    app.recovered.clear()
    printed = capsys.readouterr().err
    shown = " ".join(printed.split())  # what the terminal shows, unwrapped
    assert shown.startswith("The till stopped: an unexpected error (ValueError).")
    assert str(log_path) in "".join(printed.split())  # (a long path wraps anywhere)
    assert "Traceback" not in shown
    assert SECRET_PIN not in shown
    assert app.return_code == 1
