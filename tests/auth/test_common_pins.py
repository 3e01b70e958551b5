"""Issue 17, item 11: the most common 4-digit PINs are refused (SECURITY.md H-06 and S-11;
NIST SP 800-63B 5.1.1.2, "commonly-used" values), except the demo operators' printed
PINs on a demo database."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pos.auth.pins import PinPolicyError, check_new_pin, is_common_pin, split_pepper
from pos.cli import cli
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import Services, build_services
from pos.services.operators import OperatorError
from pos.services.store import DEMO_OPERATORS
from tests.conftest import CASHIER, FAST_HASHER, MANAGER, shell_admin

COMMON = [
    "2580",  # the middle column
    "0852",
    "1357",  # odd digits
    "7531",
    "2468",  # even digits
    "8642",
    "1397",  # the corners, in any order
    "7391",
    "3179",
    "1245",  # a square
    "1212",  # repeated pairs
    "6969",
    "0909",
    "1122",
    "0011",
    "1900",  # years
    "1984",
    "2000",
    "2029",
]
NOT_COMMON = ["1899", "2030", "3691", "4826", "8264", "9080", "04071958", "19841984"]


@pytest.mark.parametrize("pin", COMMON)
def test_h06_a_common_pin_is_refused_with_a_clear_message(pin: str) -> None:
    assert is_common_pin(pin)
    with pytest.raises(PinPolicyError, match="one of the most common PINs"):
        check_new_pin(pin)


@pytest.mark.parametrize("pin", NOT_COMMON)
def test_h06_other_pins_are_still_allowed(pin: str) -> None:
    assert not is_common_pin(pin)
    assert check_new_pin(pin) == pin


def test_h06_only_the_demo_creator_may_choose_a_common_pin() -> None:
    assert [pin for *_, pin in DEMO_OPERATORS] == ["2580", "7391"]
    for pin in ("2580", "7391"):
        assert check_new_pin(pin, allow_common=True) == pin
        pepper, encoded = split_pepper(FAST_HASHER.hash(pin, allow_common=True))
        assert pepper is not None
        assert encoded.startswith("$argon2id$")
        with pytest.raises(PinPolicyError):
            FAST_HASHER.hash(pin)
    with pytest.raises(PinPolicyError, match="run"):  # the other rules still apply
        check_new_pin("1234", allow_common=True)


def test_s11_the_demo_operators_keep_their_printed_pins(services: Services) -> None:
    assert services.auth.login(*CASHIER).identity.number == CASHIER[0]
    assert services.auth.login(*MANAGER).identity.number == MANAGER[0]


def test_h06_an_operator_cannot_be_given_a_common_pin(services: Services) -> None:
    with pytest.raises(OperatorError, match="most common PINs"):
        shell_admin(services, "9001").add("42", "Alex", "cashier", "1984")
    with pytest.raises(OperatorError, match="most common PINs"):
        shell_admin(services, "9001").set_pin("1001", "2580")  # not even the demo PIN again
    shell_admin(services, "9001").add("42", "Alex", "cashier", "4826")


def test_h06_the_first_manager_cannot_choose_a_common_pin(
    empty_db: Path, clock: FixedClock
) -> None:
    services = build_services(empty_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    try:
        problem = services.sessions.create_first_manager("7", "Ann", "1397")
        assert problem is not None
        assert "most common PINs" in problem
        assert services.sessions.create_first_manager("7", "Ann", "4826") is None
    finally:
        services.close()


def test_h06_pos_operators_add_refuses_a_common_pin(tmp_path: Path) -> None:
    db = tmp_path / "till.sqlite"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--db", str(db)]).exit_code == 0
    args = ["operators", "add", "--db", str(db), "--number", "42", "--name", "A", "--role"]
    result = runner.invoke(cli, [*args, "cashier"], input="1212\n")
    assert result.exit_code == 1
    assert "one of the most common PINs" in result.output
    assert "Traceback" not in result.output
