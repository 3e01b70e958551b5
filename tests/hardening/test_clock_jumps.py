"""The clock jumping backwards or forwards (an NTP correction, a dead RTC battery, a
wrong time typed in): tokens, the lockout, the idle lock and sale times.

The decisions (SECURITY.md J-06, J-07, S-09, #33):

* Tokens are checked against the codec's own clock with 30 s of leeway. A clock that
  goes back more than that makes the tokens already issued "from the future": they are
  refused (never accepted early), the session ends with the cart kept, and the operator
  logs straight back in; the new tokens are dated by the clock as it is now. A clock
  that goes forward past a token's ``exp`` expires it: the refresh token renews it
  silently within the shift; past the shift (8 h) the operator logs in again.
* A lockout never runs longer than 30 minutes from now: a lock taken while the clock
  was ahead (or before it went back) would otherwise lock the operator out for as long
  as the clock was wrong. It is re-dated to 30 minutes from the first attempt after the
  jump, so it is never shorter than 30 minutes from the lock either.
* The idle lock counts monotonic seconds: a wall-clock jump neither locks the till nor
  keeps it open.
* Sale times are what the clock said; receipt numbers come from the till's counter, so
  a clock that went back keeps them in sequence, and "last sale" is the last number.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pos.app import PosApp
from pos.auth import tokens as t
from pos.auth.guard import Guard, LoginRequired
from pos.auth.service import LoginFailed
from pos.domain.clock import FixedClock, SequentialIds, UuidIds
from pos.screens import LoginScreen, ScanScreen
from pos.services.container import Services, build_services
from tests.conftest import CASHIER, FAST_HASHER, MANAGER, shell_admin
from tests.ui.helpers import scan, sell, settle

# what the till does, not what it draws: painted once, at the end (tests/painting.py)
pytestmark = pytest.mark.usefixtures("paint_once")

SIZE = (100, 30)
PEN = "4006381333931"


class TokenTime:
    """The codec's clock, moved by hand."""

    def __init__(self, start: float) -> None:
        self.at = start

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def services(demo_db: Path, clock: FixedClock) -> Iterator[Services]:
    built = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    yield built
    built.close()


@pytest.fixture
def token_time(services: Services, clock: FixedClock) -> TokenTime:
    moved = TokenTime(clock.now().timestamp())
    services.auth.codec._now = moved  # type: ignore[method-assign]
    return moved


# --------------------------------------------------------------------------- tokens


@pytest.mark.parametrize(
    ("shift", "outcome"),
    [
        (-20, None),  # back within the leeway: still good
        (-31, t.NotYetValid),  # back beyond it: iat in the future, refused
        (-600, t.NotYetValid),  # ten minutes back (J-07, #33)
        (299, None),
        (300 + 29, None),  # just past exp, within the leeway
        (300 + 30, t.Expired),  # exp + 30 s: refused (S-03)
        (86_400, t.Expired),  # a day forward
    ],
)
def test_an_access_token_after_the_clock_moved(
    services: Services, token_time: TokenTime, shift: int, outcome: type[Exception] | None
) -> None:
    session = services.auth.login(*CASHIER)
    token_time.at += shift
    if outcome is None:
        assert services.auth.validate(session.access).number == "1001"
    else:
        with pytest.raises(outcome):
            services.auth.validate(session.access)


def test_the_clock_going_back_ends_the_session_but_locks_nobody_out(
    services: Services, token_time: TokenTime
) -> None:
    guard = Guard(services.auth, now=services.auth.codec.now)
    guard.start(services.auth.login(*CASHIER))
    token_time.at -= 600
    with pytest.raises(LoginRequired):
        guard.require("sale")  # tokens from "the future" are not accepted
    assert guard.session is None
    guard.start(services.auth.login(*CASHIER))  # at once: nothing waits for the clock
    assert guard.require("sale").number == "1001"
    token_time.at += 200
    guard.keep_alive()
    assert guard.require("sale").number == "1001"


def test_forward_within_the_shift_renews_silently_and_past_it_asks_for_a_login(
    services: Services, token_time: TokenTime
) -> None:
    guard = Guard(services.auth, now=services.auth.codec.now)
    guard.start(services.auth.login(*CASHIER))
    token_time.at += 2 * 3600  # two hours forward: the access token expired
    assert guard.require("sale").number == "1001"  # renewed by the refresh token
    token_time.at += 7 * 3600  # past the shift
    with pytest.raises(LoginRequired):
        guard.require("sale")
    guard.start(services.auth.login(*CASHIER))
    assert guard.require("sale").number == "1001"


def test_forward_then_back(services: Services, token_time: TokenTime) -> None:
    """Logged in while the clock was a day ahead; corrected: those tokens are refused,
    a new login works at once, and its refresh works."""
    guard = Guard(services.auth, now=services.auth.codec.now)
    token_time.at += 86_400
    guard.start(services.auth.login(*CASHIER))
    token_time.at -= 86_400
    with pytest.raises(LoginRequired):
        guard.require("sale")
    session = services.auth.login(*CASHIER)
    assert services.auth.refresh(session).identity.number == "1001"


def test_an_override_does_not_outlive_its_minute_after_a_jump(
    services: Services, token_time: TokenTime
) -> None:
    token = services.auth.grant_override(
        *MANAGER, requester="1001", scope="void", action={"line": 1}
    )
    token_time.at += 91
    with pytest.raises(t.Expired):
        services.auth.check_override(token, "void", {"line": 1}, "1001")
    token_time.at -= 91 + 600  # and back: not valid "again" before it was issued
    with pytest.raises(t.NotYetValid):
        services.auth.check_override(token, "void", {"line": 1}, "1001")


def test_a_pin_change_just_before_the_clock_went_back_locks_nobody_out(
    services: Services, token_time: TokenTime, clock: FixedClock
) -> None:
    """Revocation is a counter each token carries (``gen``), compared for equality: the
    tokens from before the PIN change are refused at once, and after the clock goes back
    two hours the operator logs in with the new PIN and works, without waiting for the
    clock to pass the change again."""
    guard = Guard(services.auth, now=services.auth.codec.now)
    before = services.auth.login(*CASHIER)
    shell_admin(services, "9001").set_pin("1001", "3691")
    with pytest.raises(t.Revoked):
        services.auth.validate(before.access)  # ended at once
    with pytest.raises(t.Revoked):
        services.auth.refresh(before)
    token_time.at -= 2 * 3600
    clock.advance(hours=-2)
    with pytest.raises(LoginFailed):
        services.auth.login(*CASHIER)  # the old PIN
    guard.start(services.auth.login("1001", "3691"))
    assert guard.require("sale").number == "1001"
    token_time.at += 4 * 60  # the access token renews silently, as on any day
    guard.keep_alive()
    assert guard.require("sale").number == "1001"
    assert services.auth.refresh(guard.session).identity.number == "1001"  # type: ignore[arg-type]
    with pytest.raises(t.TokenError):
        services.auth.validate(before.access)  # still dead (and now "from the future")


def test_deactivation_and_reactivation_end_tokens_but_a_clock_back_locks_nobody_out(
    services: Services, token_time: TokenTime, clock: FixedClock
) -> None:
    before = services.auth.login(*CASHIER)
    shell_admin(services, "9001").deactivate("1001")
    with pytest.raises(t.InactiveOperator):
        services.auth.validate(before.access)
    shell_admin(services, "9001").reactivate("1001")
    with pytest.raises(t.Revoked):
        services.auth.validate(before.access)  # reactivation does not revive old tokens
    token_time.at -= 2 * 3600
    clock.advance(hours=-2)
    after = services.auth.login(*CASHIER)
    assert services.auth.validate(after.access).number == "1001"
    assert services.auth.refresh(after).identity.number == "1001"


def test_a_pin_change_on_one_till_ends_the_tokens_on_another(
    services: Services, demo_db: Path, clock: FixedClock
) -> None:
    other = build_services(
        demo_db, clock=clock, ids=UuidIds(), hasher=FAST_HASHER, till_name="Till 2"
    )
    try:
        session = other.auth.login(*CASHIER)
        assert other.auth.validate(session.access).number == "1001"
        shell_admin(services, "9001").set_pin("1001", "3691")  # on Till 1
        with pytest.raises(t.Revoked):
            other.auth.validate(session.access)
        with pytest.raises(t.Revoked):
            other.auth.refresh(session)
        assert other.auth.validate(other.auth.login("1001", "3691").access).number == "1001"
    finally:
        other.close()


# --------------------------------------------------------------------------- the lockout


def _lock(services: Services) -> None:
    for _ in range(10):
        with pytest.raises(LoginFailed):
            services.auth.login("1001", "0000")


def test_a_lockout_after_the_clock_went_back_lasts_thirty_minutes_not_a_day(
    services: Services, clock: FixedClock
) -> None:
    clock.advance(days=1)  # the clock is a day ahead when the PIN is guessed
    _lock(services)
    clock.advance(days=-1)  # corrected
    with pytest.raises(LoginFailed, match="locked until 10:00"):  # 09:30 + 30 min
        services.auth.login(*CASHIER)
    clock.advance(minutes=29, seconds=59)
    with pytest.raises(LoginFailed, match="locked until 10:00"):  # not moved again
        services.auth.login(*CASHIER)
    clock.advance(seconds=1)
    assert services.auth.login(*CASHIER).identity.number == "1001"


def test_a_lockout_when_the_clock_goes_back_a_little_still_lasts_thirty_minutes(
    services: Services, clock: FixedClock
) -> None:
    """Locked at 09:30 until 10:00; the clock goes back ten minutes at once: the lock
    ends 30 minutes from the attempt after the jump (09:50 by the clock now), which is
    30 minutes after it began, not 40."""
    _lock(services)
    clock.advance(minutes=-10)
    with pytest.raises(LoginFailed, match="locked until 09:50"):
        services.auth.login(*CASHIER)
    clock.advance(minutes=29, seconds=59)
    with pytest.raises(LoginFailed, match="locked until 09:50"):
        services.auth.login(*CASHIER)
    clock.advance(seconds=1)
    assert services.auth.login(*CASHIER).identity.number == "1001"


def test_a_lockout_without_a_jump_is_untouched(services: Services, clock: FixedClock) -> None:
    _lock(services)
    clock.advance(minutes=29)
    with pytest.raises(LoginFailed, match="locked until 10:00"):
        services.auth.login(*CASHIER)
    clock.advance(minutes=1)
    assert services.auth.login(*CASHIER).identity.number == "1001"


# --------------------------------------------------------------------------- the app

AppFactory = Callable[..., PosApp]


async def test_the_idle_lock_ignores_the_wall_clock(
    app_factory: AppFactory, clock: FixedClock
) -> None:
    idle = [0.0]
    app = app_factory(login=CASHIER, idle_clock=lambda: idle[0])
    codec = app.services.auth.codec
    token_time = TokenTime(codec.now())
    codec._now = token_time  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        for jump in (3600.0, -7200.0):  # forward an hour, then back two
            clock.advance(seconds=jump)
            token_time.at += jump
            app.tick()
            await settle(pilot)
        assert isinstance(app.screen, ScanScreen)  # no idle lock from the wall clock
        # back past the tokens' iat: the next scan finds them refused, the till locks
        # and nothing is added; the cart is kept for the operator
        await scan(pilot, PEN)
        assert isinstance(app.screen, LoginScreen)
        await pilot.press(*CASHIER[0], "enter", *CASHIER[1], "enter")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert len(app.services.checkout.cart) == 1
        clock.advance(hours=5)  # the wall clock alone: no idle lock
        token_time.at += 3 * 60
        app.tick()
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        idle[0] += 15 * 60  # fifteen idle minutes, by the monotonic clock
        app.tick()
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)


async def test_a_pin_change_then_the_clock_back_two_hours_the_operator_sells_on(
    app_factory: AppFactory, clock: FixedClock
) -> None:
    app = app_factory(login=None)
    codec = app.services.auth.codec
    token_time = TokenTime(clock.now().timestamp())
    codec._now = token_time  # type: ignore[method-assign]
    app.services.sessions.login(*CASHIER)  # tokens dated by the clock the test moves
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        shell_admin(app.services, "9001").set_pin("1001", "3691")  # ends every token
        clock.advance(hours=-2)
        token_time.at -= 2 * 3600
        await scan(pilot, PEN)  # refused: the session ended with the PIN change
        assert isinstance(app.screen, LoginScreen)
        await pilot.press(*"1001", "enter", *"3691", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)  # at once: nothing waits for the clock
        await sell(pilot, PEN)
        assert app.services.sales.last_sale().receipt_no == 2  # type: ignore[union-attr]


async def test_sales_across_a_clock_going_back(
    app_factory: AppFactory, clock: FixedClock, demo_db: Path
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        clock.advance(hours=-3)  # sale 2 is "earlier" than sale 1
        await sell(pilot, PEN)
        assert app.services.sales.last_sale().receipt_no == 2  # type: ignore[union-attr]
        assert [r.receipt_no for r in app.services.sales.history("")][:2] == [2, 1]
    con = sqlite3.connect(demo_db)
    rows = con.execute("SELECT receipt_no, at FROM sale ORDER BY receipt_no").fetchall()
    con.close()
    assert [no for no, _ in rows] == [1, 2]
    assert rows[1][1] < rows[0][1]  # the times are what the clock said
