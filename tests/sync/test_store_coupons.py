"""Coupons on a store's tills (issue 22, part 2): codes issued and voided on the server
reach the tills by the pull; a till claims a use on the server at payment, under the
sale's uuid (once, whatever the retries), and its sale's push takes nothing again; a
claim no sale followed is given back; offline, a code the till knows is good once per
till, and an overuse found when the sale arrives is on the server's report. Against a
real PostgreSQL (skipped without one: POS_TEST_PG_URL)."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from pos.cli import cli
from pos.db.sync import coupon_claims
from pos.domain.clock import FixedClock
from pos.services.container import Services
from pos.services.sales import Repriced
from pos.services.store_coupons import StoreCoupons
from pos.services.sync import StoreSync
from tests.conftest import MANAGER
from tests.sync.helpers import local as _local
from tests.sync.helpers import server as _server

MILK = "5010000123451"  # 1.45
Tills = Callable[[str], tuple[Services, StoreSync]]


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _issue(store: str, tmp_path: Path, uses: int = 1, count: int = 1) -> list[str]:
    """A coupon rule on the server (once) and ``count`` codes of it, issued there."""
    if not _server(store, "SELECT 1 FROM discount_rule WHERE name = 'Pound off'"):
        rules = tmp_path / "coupon-rules.json"
        rules.write_text(
            json.dumps(
                {
                    "discounts": [
                        {
                            "name": "Pound off",
                            "kind": "basket_amount_off",
                            "amount": "1.00",
                            "coupon": True,
                        }
                    ]
                }
            )
        )
        _run("discounts", "import", "--db", store, str(rules))
    out = _run("coupons", "issue", "--db", store, "--rule", "Pound off", "--count", str(count),
               "--uses", str(uses), "--json")  # fmt: skip
    return [row["code"] for row in json.loads(out)]


def _ready(services: Services, code: str) -> None:
    services.sessions.login(*MANAGER)
    if services.days.current() is None:
        services.days.open_day(0)
    for scanned in (MILK, code):
        outcome = services.checkout.submit(scanned)
        assert not outcome.error, outcome.message


def _pay(services: Services) -> int:
    tender = services.sales.start()
    tender.cash(tender.due)
    return services.sales.complete(tender).receipt_no


def _claims(store: str) -> list[tuple[object, ...]]:
    return _server(store, "SELECT code, till, status, note FROM coupon_claim ORDER BY at, code")


def _left(store: str, code: str) -> int:
    return int(_server(store, "SELECT uses_left FROM coupon_code WHERE code = %s", code)[0][0])


def test_codes_issued_and_voided_on_the_server_reach_the_till(
    store: str, till: Tills, tmp_path: Path
) -> None:
    services, sync = till("Till A")
    (code,) = _issue(store, tmp_path)
    sync.run_once()
    pulled = _local(sync.path, f"SELECT rule, uses_left, voided FROM coupon_code WHERE code={code}")
    assert pulled == [("Pound off", 1, 0)]
    _run("coupons", "void", "--db", store, code)
    sync.run_once()
    assert _local(sync.path, f"SELECT voided FROM coupon_code WHERE code = '{code}'") == [(1,)]
    services.sessions.login(*MANAGER)
    refused = services.checkout.submit(code)
    assert refused.error
    assert "voided" in refused.message


def test_a_use_is_claimed_at_payment_and_the_sale_s_push_takes_nothing_again(
    store: str, till: Tills, tmp_path: Path
) -> None:
    services, sync = till("Till A")
    (code,) = _issue(store, tmp_path, uses=2)
    sync.run_once()
    _ready(services, code)
    assert services.sales.recheck_coupons() == ""  # the payment screen opens: claimed
    assert _left(store, code) == 1
    assert _claims(store) == [(code, "Till A", "held", None)]
    assert services.sales.recheck_coupons() == ""  # opened again: the same claim
    assert _left(store, code) == 1
    _pay(services)  # the claim again under the sale's uuid: nothing more taken
    assert _left(store, code) == 1
    assert _local(sync.path, "SELECT code, offline FROM sale_coupon") == [(code, 0)]
    sync.run_once()
    assert _claims(store) == [(code, "Till A", "sold", None)]
    assert _left(store, code) == 1
    assert _server(store, "SELECT code, offline FROM sale_coupon") == [(code, 0)]
    assert _local(sync.path, f"SELECT uses_left FROM coupon_code WHERE code = '{code}'") == [(1,)]


def test_the_other_till_is_refused_by_the_server_before_any_money_is_taken(
    store: str, till: Tills, tmp_path: Path
) -> None:
    a, sync_a = till("Till A")
    b, sync_b = till("Till B")
    (code,) = _issue(store, tmp_path)
    sync_a.run_once()
    sync_b.run_once()
    _ready(a, code)
    _ready(b, code)  # both scanned it while it was unused
    assert a.sales.recheck_coupons() == ""  # A's payment screen: the server holds it for A
    said = b.sales.recheck_coupons()  # B's: refused, taken off, re-priced
    assert "was just used up at another till" in said
    assert b.checkout.coupons == ()
    assert b.sales.start().due == 145
    _pay(a)
    sync_a.run_once()
    assert _left(store, code) == 0
    assert [row[:3] for row in _claims(store)] == [(code, "Till A", "sold")]


def test_a_till_that_lost_the_race_at_the_sale_itself_is_repriced(
    store: str, till: Tills, tmp_path: Path
) -> None:
    a, sync_a = till("Till A")
    b, sync_b = till("Till B")
    (code,) = _issue(store, tmp_path)
    for sync in (sync_a, sync_b):
        sync.run_once()
    _ready(a, code)
    _ready(b, code)
    tender = b.sales.start()  # B took payment before A's claim
    tender.cash(tender.due)
    assert a.sales.recheck_coupons() == ""
    with pytest.raises(Repriced, match="just used up"):
        b.sales.complete(tender)
    assert _local(sync_b.path, "SELECT count(*) FROM sale") == [(0,)]
    assert b.sales.start().due == 145


def test_a_claim_made_again_takes_nothing_and_one_no_sale_followed_is_given_back(
    store: str, till: Tills, tmp_path: Path, clock: FixedClock
) -> None:
    (code,) = _issue(store, tmp_path, uses=3)
    today = clock.now().date()
    with psycopg.connect(store, autocommit=True) as conn:
        for _ in range(2):
            assert coupon_claims.claim(
                conn, till="Till A", session="s1", sale_uuid="u1", codes=[code], today=today
            ) == []  # fmt: skip
        assert _left(store, code) == 2
        # the cart changed: the same sale without the coupon gives it back
        coupon_claims.claim(
            conn, till="Till A", session="s1", sale_uuid="u1", codes=[], today=today
        )
        assert _left(store, code) == 3
        coupon_claims.claim(
            conn, till="Till A", session="s1", sale_uuid="u2", codes=[code], today=today
        )
        conn.execute("UPDATE coupon_claim SET at = now() - interval '31 minutes'")
        coupon_claims.claim(  # anyone's claim gives back one held too long with no sale
            conn, till="Till B", session="s9", sale_uuid="u3", codes=[code], today=today
        )
    assert _left(store, code) == 2
    statuses = _server(store, "SELECT sale_uuid, status FROM coupon_claim ORDER BY sale_uuid")
    assert statuses == [("u1", "released"), ("u2", "released"), ("u3", "held")]


def test_a_claim_of_a_till_that_died_before_its_commit_is_given_back_at_its_next_start(
    store: str, till: Tills, tmp_path: Path, clock: FixedClock
) -> None:
    services, sync = till("Till A")
    codes = _issue(store, tmp_path, count=2)
    sync.run_once()
    _ready(services, codes[0])
    services.sales.recheck_coupons()  # claimed; then the till dies before the sale
    _pay(services)  # (a second sale, saved: its claim stays)
    services.checkout.submit(MILK)
    services.checkout.submit(codes[1])
    services.sales.recheck_coupons()
    assert [_left(store, c) for c in codes] == [0, 0]
    again = StoreSync(sync.path, store, "Till A", clock, poll_seconds=0)  # the next start
    try:
        again.run_once()
    finally:
        again.stop()
    assert [_left(store, c) for c in codes] == [0, 1]  # the unsaved sale's use is back
    assert [row[2] for row in _claims(store)] == ["sold", "released"]


def test_offline_a_code_is_good_once_per_till_and_an_overuse_is_on_the_server_s_report(
    store: str, till: Tills, tmp_path: Path
) -> None:
    a, sync_a = till("Till A")
    b, sync_b = till("Till B")
    (code,) = _issue(store, tmp_path, uses=2)
    (once,) = _issue(store, tmp_path, uses=1)
    for sync in (sync_a, sync_b):
        sync.run_once()
    sync_a.reachable = False  # A's worker finds the server out of reach
    _ready(a, code)
    assert a.sales.recheck_coupons() == ""
    _pay(a)
    a.checkout.submit(MILK)
    a.checkout.submit(code)
    said = a.sales.recheck_coupons()  # a second offline use of it on this till: refused
    assert "once per till until the server is back" in said
    assert a.checkout.coupons == ()
    assert _left(store, code) == 2  # the server knows nothing yet
    _ready(b, once)  # B, online, uses the single-use code ...
    _pay(b)
    a.checkout.submit(once)  # ... which A, offline, uses too
    assert a.sales.recheck_coupons() == ""
    receipt = _pay(a)
    sync_b.run_once()
    sync_a.run_once()  # A's sales arrive: one use taken, one overuse recorded
    assert _left(store, code) == 1
    assert _left(store, once) == 0
    over = [row for row in _claims(store) if row[2] == "over"]
    assert over == [(once, "Till A", "over", "used up")]
    report = json.loads(
        _run("report", "--db", store, "--till", "Till A", "--date", _today(store), "--json")
    )
    assert [(o["code"], o["receipt"], o["why"]) for o in report["coupon_overuses"]] == [
        (once, receipt, "used up")
    ]
    text = _run("report", "--db", store, "--till", "Till A", "--date", _today(store))
    assert "Coupons used over their limit while the till was offline" in text
    assert f"{once}  Pound off  receipt {receipt:04d}" in text
    # the sales are kept, and the till has the server's counts again
    assert _server(store, "SELECT count(*) FROM sale WHERE till = 'Till A'") == [(2,)]
    assert _local(sync_a.path, "SELECT uses_left FROM coupon_code ORDER BY id") == [(1,), (0,)]


def _today(store: str) -> str:
    (at,) = _server(store, "SELECT max(at) FROM sale")[0]
    from datetime import datetime

    return datetime.fromisoformat(str(at)).astimezone().date().isoformat()


def test_a_server_out_of_reach_means_offline_at_once(store: str, clock: FixedClock) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there
    claims = StoreCoupons(f"postgresql://postgres@127.0.0.1:{port}/x", "Till A", "s")
    assert claims.claim("u", ["9900100000001"], clock.now().date()) is None
    asleep = StoreCoupons(store, "Till A", "s", reachable=lambda: False)
    assert asleep.claim("u", ["9900100000001"], clock.now().date()) is None


def test_a_claim_takes_its_codes_in_one_order(
    store: str, tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two sales claiming the same codes scanned in opposite orders lock their rows in one
    order (by code): they wait for each other, never deadlock."""
    codes = _issue(store, tmp_path, uses=5, count=2)
    taken: list[str] = []
    real = coupon_claims._take

    def recorded(cur: psycopg.Cursor[object], code: str, today: object) -> str | None:
        taken.append(code)
        return real(cur, code, clock.now().date())

    monkeypatch.setattr(coupon_claims, "_take", recorded)
    with psycopg.connect(store, autocommit=True) as conn:
        for uuid, order in (("u1", sorted(codes)), ("u2", sorted(codes, reverse=True))):
            assert coupon_claims.claim(
                conn, till="Till A", session="s1", sale_uuid=uuid, codes=order,
                today=clock.now().date(),
            ) == []  # fmt: skip
    assert taken == sorted(codes) * 2
