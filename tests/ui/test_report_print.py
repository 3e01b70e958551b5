"""The report screen's printing (issue 21, item 5): F2 prints the X report, closing the day
(F4) prints the Z report, F5 prints a copy of a past Z report; a printer fault says so and
the report prints again, nothing lost. Printed through python-escpos's Dummy printer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from escpos.printer import Dummy
from textual.pilot import Pilot
from textual.widgets import Input, Label

from pos.app import PosApp
from pos.screens.report import AmountModal, ReportScreen, ZNumberModal
from pos.services.printing import ReceiptPrinter
from pos.widgets import MessageLine
from tests.ui.helpers import at_once, sell, settle, until

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL

AppFactory = Callable[..., PosApp]
SIZE = (100, 30)
PEN = "4006381333931"  # 1.20
CUT = b"\x1dV"


class Paper:
    """The till's printer for a test: python-escpos's Dummy (it keeps the bytes), or,
    while ``broken`` says why, a printer that fails on its first write."""

    def __init__(self) -> None:
        self.printed: list[Dummy] = []
        self.broken: str | None = None

    def open(self) -> Dummy:
        why = self.broken

        class Faulty(Dummy):  # type: ignore[misc]
            def _raw(self, msg: bytes) -> None:
                raise OSError(why)

        printer = Faulty() if why else Dummy()
        if not why:
            self.printed.append(printer)
        return printer

    def text(self, n: int = -1) -> str:
        return self.printed[n].output.decode("cp437", "replace")


def with_paper(app: PosApp) -> Paper:
    paper = Paper()
    app.services.sales.printer = ReceiptPrinter(opener=paper.open)
    return paper


def message(app: PosApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


def events(app: PosApp) -> list[str]:
    return [e.event for e in app.services.audit.entries()]


async def printed(pilot: Pilot[object]) -> None:
    """Wait for the print workers, then for the screen to show their outcome."""
    await pilot.app.workers.wait_for_complete()
    await settle(pilot)


async def close_day(pilot: Pilot[object], counted: str = "1.20") -> None:
    """F4 on the report screen, the counted cash, and yes."""
    await pilot.press("f4")
    await settle(pilot)
    assert isinstance(pilot.app.screen, AmountModal)
    await pilot.press(*counted, "enter")
    await settle(pilot)
    await pilot.press("y")
    await settle(pilot)


async def test_f2_prints_the_x_report(app_factory: AppFactory) -> None:
    app = app_factory()
    paper = with_paper(app)
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        await printed(pilot)  # the sale's receipt
        before = events(app)
        await pilot.press("f12", "f2")
        await printed(pilot)
        assert isinstance(app.screen, ReportScreen)
        assert message(app) == "X report printed"
        x = paper.text()
        assert "X REPORT" in x
        assert "Sales                                    1" in x
        assert "Day opened                2026-03-14 09:30" in x
        assert CUT in paper.printed[-1].output
        assert events(app) == before  # seeing or printing an X is no event
        assert app.services.days.current().open  # type: ignore[union-attr]  # closes nothing


async def test_a_printer_fault_says_so_and_f2_prints_it_again(app_factory: AppFactory) -> None:
    app = app_factory()
    paper = with_paper(app)
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        await printed(pilot)
        paper.broken = "out of paper"
        await pilot.press("f12", "f2")
        await printed(pilot)
        said = message(app)
        assert said.startswith("X report not printed: "), said
        assert "out of paper" in said
        assert said.endswith("F2 tries again.")
        paper.broken = None
        await pilot.press("f2")
        await printed(pilot)
        assert message(app) == "X report printed"
        assert "X REPORT" in paper.text()


async def test_without_a_printer_f2_and_f5_say_how_to_set_one(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        await pilot.press("f12", "f2")
        await settle(pilot)
        assert "no printer is set up" in message(app)
        assert message(app).startswith("X report not printed: ")
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)  # no dialog: nothing could print
        assert message(app).startswith("Z report not printed: no printer is set up")
        await close_day(pilot)
        assert message(app) == (
            "Day closed. F3 opens the next one (no printer is set up for its Z report)"
        )


async def test_closing_the_day_prints_the_z_report(app_factory: AppFactory) -> None:
    app = app_factory()
    paper = with_paper(app)
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        await printed(pilot)
        await pilot.press("f12")
        await settle(pilot)
        await close_day(pilot)
        await printed(pilot)
        assert message(app) == "Day closed. F3 opens the next one. Z report 0001 printed"
        z = paper.text()
        head = app.services.audit.head()
        assert head is not None
        assert "Z REPORT 0001" in z
        assert "COPY" not in z
        assert "  Difference                    0.00 exact" in z
        assert f"  Hash                    {head[1][:16]}" in z
        assert events(app)[-1] == "z_report"  # the close's own entry: the Z is its print


async def test_a_z_that_did_not_print_prints_again_as_a_copy(app_factory: AppFactory) -> None:
    """Saved first, then printed: the day is closed whatever the printer did, and F2 on
    the closed day's report prints a copy of its Z report (audited as one)."""
    app = app_factory()
    paper = with_paper(app)
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        await printed(pilot)
        paper.broken = "cover open"
        await pilot.press("f12")
        await settle(pilot)
        await close_day(pilot)
        await printed(pilot)
        said = message(app)
        assert said.startswith("Day closed. Z report 0001 not printed: "), said
        assert said.endswith("F2 prints a copy.")
        day = app.services.days.current()
        assert day is not None
        assert (day.open, day.z_no) == (False, 1)
        paper.broken = None
        await pilot.press("f2")
        await printed(pilot)
        assert message(app) == "Copy of Z report 0001 printed"
        assert "*** COPY ***" in paper.text()
        assert "Z REPORT 0001" in paper.text()
        entry = list(app.services.audit.entries())[-1]
        assert (entry.event, entry.details) == ("z_copy", '{"z":1}')


async def test_f5_prints_a_copy_of_a_past_z_by_its_number(app_factory: AppFactory) -> None:
    app = app_factory()
    paper = with_paper(app)
    services = app.services
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        await printed(pilot)
        services.days.close_day(120)  # Z 0001
        services.days.open_day(0)
        services.days.close_day(0)  # Z 0002
        services.days.open_day(0)  # the day open now would be Z 0003
        await pilot.press("f12", "f5")
        await settle(pilot)
        assert isinstance(app.screen, ZNumberModal)
        number = app.screen.query_one(Input)
        assert (number.value, number.placeholder) == ("", "2")  # the last one, offered
        question = str(app.screen.query_one("#question", Label).render())
        assert question == "Print a copy of which Z report? (1 to 2; Enter: the last)"
        for bad, said in [
            ("3", "Z report 0003 is the day still open"),
            ("9", "Till 1 has no Z report 0009"),
        ]:
            number.value = bad
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ZNumberModal)  # refused here: it stays
            hint = str(app.screen.query_one("#hint", Label).render())
            assert hint.startswith(said), hint
        number.value = ""
        await pilot.press("x", "1")  # letters are not taken
        assert number.value == "1"
        await pilot.press("enter")
        await printed(pilot)
        assert isinstance(app.screen, ReportScreen)
        assert message(app) == "Copy of Z report 0001 printed"
        text = paper.text()
        assert text.count("*** COPY ***") == 2  # above and below
        assert "Z REPORT 0001" in text
        assert "  Counted                             1.20" in text
        entry = list(services.audit.entries())[-1]
        assert (entry.event, entry.operator, entry.details) == ("z_copy", "9001", '{"z":1}')
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("escape")  # nothing printed, nothing audited
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        assert len(paper.printed) == 2  # the sale's receipt and the one copy
        assert events(app).count("z_copy") == 1


async def test_f5_before_any_z_says_when_there_is_one(app_factory: AppFactory) -> None:
    app = app_factory()
    with_paper(app)
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        await pilot.press("f12", "f5")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        assert message(app) == "No Z report yet: a day's Z report prints when it is closed (F4)"


async def test_a_z_number_typed_ahead_prints_one_copy(app_factory: AppFactory) -> None:
    """F5, the number and Enter typed in one go, Enter twice: one copy, and the till ends
    on the report screen, which still answers keys (the type-ahead table's row)."""
    app = app_factory()
    paper = with_paper(app)
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        await printed(pilot)
        app.services.days.close_day(120)
        await pilot.press("f12")
        await settle(pilot)
        at_once(app, "f5", "1", "enter", "enter")
        await until(pilot, lambda: isinstance(app.screen, ReportScreen))
        await printed(pilot)
        assert isinstance(app.screen, ReportScreen)
        assert len(paper.printed) == 2
        assert message(app) == "Copy of Z report 0001 printed"
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ReportScreen)


async def test_the_palette_offers_the_report_screen_s_keys(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f12")
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles[:4] == ["Print report", "Open day", "Close day (Z)", "Print a Z report copy"]
        keys = {b.key: b.description for b in ReportScreen.BINDINGS}  # type: ignore[union-attr]
        assert keys == {
            "escape": "Back",
            "f2": "Print",
            "f3": "Open day",
            "f4": "Close day (Z)",
            "f5": "Print a Z",
        }


async def test_a_z_closed_while_the_x_still_prints_says_how_to_print_it(
    app_factory: AppFactory,
) -> None:
    """F2 (the X) still printing when F4 closes the day: the day is closed and saved, and
    the message says the Z was not printed and F2 prints its copy (never a silent Z)."""
    import threading

    app = app_factory()
    paper = with_paper(app)
    gate = threading.Event()
    opened = paper.open

    def slow() -> Dummy:
        gate.wait(10)  # the X report's printer, held until the day is closed
        return opened()

    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        await printed(pilot)
        await pilot.press("f12")
        await settle(pilot)
        app.services.sales.printer = ReceiptPrinter(opener=slow)
        await pilot.press("f2")
        await settle(pilot)
        await close_day(pilot)
        said = message(app)
        assert (
            said == "Day closed. Z report 0001 not printed (the printer is busy): F2 prints a copy"
        )
        gate.set()
        await printed(pilot)
        app.services.sales.printer = ReceiptPrinter(opener=paper.open)
        await pilot.press("f2")
        await printed(pilot)
        assert message(app) == "Copy of Z report 0001 printed"
        assert "Z REPORT 0001" in paper.text()
