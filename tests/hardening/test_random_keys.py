"""Random key sequences typed into the scanning screen, the payment screen and the
discount editor: the till never crashes (no exception reaches Textual, the app keeps
running), and the cart is always what its own log of accepted changes says.

The model: every call the screens make on the checkout service is observed, and each
Outcome it returns is replayed on a plain dict of lines (a line added or changed, a line
removed, the cart voided, parked or recalled, a new cart after a sale). After every burst
of keys, the replayed lines must equal the service's cart, and the open cart saved in the
database (read on a connection of its own) must equal both.

Keys are posted as a terminal delivers them, a burst at a time with no pause between the
keys of a burst (a scanner's speed), then the screen settles and the model is checked.

The examples are few by default, so the suite stays fast, and derandomized (the same
examples every run, in CI too). For a longer hunt::

    POS_KEYS_EXAMPLES=500 POS_KEYS_RANDOM=1 .venv/bin/pytest tests/hardening/test_random_keys.py

``POS_KEYS_RANDOM=1`` draws new examples each run (Hypothesis prints the failing one).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual import events

from pos.auth.pins import fast_test_hasher
from pos.domain.cart import CartLine
from pos.domain.clock import FixedClock, SequentialIds
from pos.factory import make_app
from pos.paths import DEMO_CATALOG, DEMO_DISCOUNTS
from pos.services.checkout import CheckoutService
from pos.services.outcomes import Change, Outcome
from pos.services.store_setup import init_database
from tests.ui.helpers import scan, settle

EXAMPLES = int(os.environ.get("POS_KEYS_EXAMPLES", "8"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("POS_KEYS_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
HASHER = fast_test_hasher()
MANAGER = ("9001", "7391")
NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)

PEN, LEMON, BANANAS, WINE = "4006381333931", "5000000000012", "2100001000004", "5011332159811"
CODES = [PEN, LEMON, BANANAS, WINE, "5000000000029", "5000000000036", "2010001000006"]

KEYS: dict[str, tuple[str, str | None]] = {
    **{d: (d, d) for d in "0123456789"},
    **{c: (c, c) for c in "aqyYnN"},
    " ": ("space", " "),
    "*": ("asterisk", "*"),
    ".": ("full_stop", "."),
    "+": ("plus", "+"),
    "-": ("minus", "-"),
    "enter": ("enter", "\r"),
    "tab": ("tab", "\t"),
    "backspace": ("backspace", "\x7f"),
    "escape": ("escape", "\x1b"),
    "delete": ("delete", None),
    "up": ("up", None),
    "down": ("down", None),
    "left": ("left", None),
    "right": ("right", None),
    "home": ("home", None),
    "end": ("end", None),
    **{f"f{n}": (f"f{n}", None) for n in range(1, 13)},
    "ctrl+a": ("ctrl+a", "\x01"),
}
"""Every key the screens bind, and some they do not (Ctrl+Q, Ctrl+L and the palette are
left out: quitting or locking would end the run, not test it)."""

token = st.one_of(
    st.sampled_from(sorted(KEYS)).map(lambda key: [key]),
    st.sampled_from(CODES).map(lambda code: [*code, "enter"]),  # a whole scan
    st.integers(0, 12_000).map(lambda n: [*str(n), "enter"]),  # a quantity or a weight
    st.sampled_from(["0.5", "1.25", "0", "3*"]).map(lambda t: [*t, "enter"]),
)
bursts = st.lists(
    st.lists(token, min_size=1, max_size=6).map(lambda ts: [k for t in ts for k in t]),
    min_size=1,
    max_size=6,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "shop.sqlite"
    init_database(
        path,
        demo_catalog=DEMO_CATALOG,
        demo_discounts=DEMO_DISCOUNTS,
        demo_operators=True,
        hasher=HASHER,
    )
    return path


class Model:
    """The cart as the log of accepted outcomes says it is."""

    def __init__(self, checkout: CheckoutService) -> None:
        self.lines: dict[int, CartLine] = {line.line_no: line for line in checkout.cart.lines}
        self.parked: list[dict[int, CartLine]] = []
        self.log: list[tuple[str, Outcome | None]] = []
        self.checkout = checkout
        for name in (
            "submit",
            "change_quantity",
            "set_quantity",
            "void_line",
            "void_cart",
            "set_price",
            "park",
            "recall",
            "cancel",
        ):
            self._observe(name)
        start_new_cart = checkout.start_new_cart

        @wraps(start_new_cart)
        def new_cart() -> None:
            start_new_cart()
            self.log.append(("start_new_cart", None))
            self.lines = {}  # a sale was completed: its cart is gone

        checkout.start_new_cart = new_cart  # type: ignore[method-assign]
        continue_with = checkout.continue_with  # a sale's commit opened the next cart

        @wraps(continue_with)
        def next_cart(stored: Any) -> None:
            continue_with(stored)
            self.log.append(("continue_with", None))
            self.lines = {}  # a sale was completed: its cart is gone

        checkout.continue_with = next_cart  # type: ignore[method-assign]

    def _observe(self, name: str) -> None:
        method: Callable[..., Outcome] = getattr(self.checkout, name)

        @wraps(method)
        def observed(*args: Any, **kwargs: Any) -> Outcome:
            outcome = method(*args, **kwargs)
            self.log.append((name, outcome))
            self.replay(name, outcome)
            return outcome

        setattr(self.checkout, name, observed)

    def replay(self, name: str, outcome: Outcome) -> None:
        if outcome.change is Change.LINE:
            assert outcome.line is not None
            self.lines[outcome.line.line_no] = outcome.line
        elif outcome.change is Change.REMOVED:
            assert outcome.line is not None
            del self.lines[outcome.line.line_no]
        elif outcome.change is Change.RELOAD:
            if name == "void_cart":
                self.lines = {}
            elif name == "park":
                self.parked.append(self.lines)
                self.lines = {}
            elif name == "recall":
                recalled = {line.line_no: line for line in self.checkout.cart.lines}
                assert recalled in self.parked, "recalled a cart that was never parked"
                self.parked.remove(recalled)
                self.lines = recalled
            else:
                raise AssertionError(f"{name} reloaded the cart")


def saved_lines(db: Path, cart_id: int) -> list[tuple[object, ...]]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        status = con.execute("SELECT status FROM cart WHERE id = ?", (cart_id,)).fetchone()
        assert status == ("open",), status
        return con.execute(
            "SELECT line_no, barcode, name, unit, unit_price, qty, tax_rate, fixed_price, "
            "operator FROM cart_line WHERE cart_id = ? ORDER BY line_no",
            (cart_id,),
        ).fetchall()
    finally:
        con.close()


def as_rows(lines: list[CartLine]) -> list[tuple[object, ...]]:
    return [
        (
            line.line_no,
            line.barcode,
            line.name,
            line.unit.value,
            line.unit_price,
            line.qty,
            line.tax_rate,
            int(line.fixed_price),
            line.operator,
        )
        for line in sorted(lines, key=lambda line: line.line_no)
    ]


def post(app: Any, keys: list[str]) -> None:
    driver = app._driver
    assert driver is not None
    for name in keys:
        key, character = KEYS.get(name, (name, name))
        driver.send_message(events.Key(key, character))


def check(model: Model, db: Path, keys: list[list[str]]) -> None:
    checkout = model.checkout
    cart = {line.line_no: line for line in checkout.cart.lines}
    assert cart == model.lines, (keys, model.log[-5:])
    assert saved_lines(db, checkout.cart_id) == as_rows(list(cart.values())), keys


async def play(template: Path, start: list[str], keys: list[list[str]]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="pos-keys-"))
    try:
        db = folder / "shop.sqlite"
        shutil.copy(template, db)
        shutil.copy(template.with_name(template.name + ".keys"), folder / "shop.sqlite.keys")
        (folder / "shop.sqlite.keys").chmod(0o600)
        app = make_app(db, clock=FixedClock(NOW), ids=SequentialIds(), hasher=HASHER)
        try:
            app.services.sessions.login(*MANAGER)
            model = Model(app.services.checkout)
            async with app.run_test(size=(100, 30)) as pilot:
                for code in start[:-1]:
                    await scan(pilot, code)
                if start:
                    await pilot.press(start[-1])
                    await settle(pilot)
                assert type(app.screen).__name__ == START_SCREEN[tuple(start[-1:])]
                check(model, db, [])
                screen_names = []
                for burst in keys:
                    post(app, burst)
                    await settle(pilot, 4)
                    screen_names.append(type(app.screen).__name__)
                    assert app.is_running, burst
                    check(model, db, keys)
            assert app.return_code in (None, 0)
            if os.environ.get("POS_KEYS_STATS"):
                accepted = [n for n, o in model.log if o is None or o.change is not Change.NONE]
                print(screen_names, len(model.log), "calls", len(accepted), "accepted:", accepted)
        finally:
            app.services.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


START_SCREEN = {(): "ScanScreen", ("f10",): "PaymentScreen", ("f3",): "DiscountEditorScreen"}
START = {
    "scanning": [],
    "payment": [PEN, LEMON, "f10"],
    "discount-editor": [LEMON, "f3"],
}


@pytest.mark.parametrize("screen", sorted(START))
@SETTINGS
@given(keys=bursts)
def test_random_keys_never_crash_and_the_cart_follows_its_log(
    template: Path, screen: str, keys: list[list[str]]
) -> None:
    asyncio.run(play(template, START[screen], keys))
