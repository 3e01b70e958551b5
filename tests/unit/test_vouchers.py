"""Voucher codes, balances and redemptions (pos.domain.vouchers), issue 22."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import ean, luhn

from pos.domain.vouchers import (
    CODE_LENGTH,
    CodeKind,
    Voucher,
    VoucherError,
    add_months,
    balance_text,
    check_code,
    check_face_value,
    check_store_number,
    classify,
    expiry,
    make_code,
    redemption,
    take,
)

digits12 = st.text("0123456789", min_size=12, max_size=12)
stores = st.text("0123456789", min_size=3, max_size=3)


def test_a_code_is_18_digits_from_98_with_the_store_and_a_luhn_digit() -> None:
    code = make_code("001", "123456789012")
    assert code == "98001123456789012" + luhn.calc_check_digit("98001123456789012")
    assert len(code) == CODE_LENGTH
    assert classify(code) is CodeKind.VOUCHER
    assert check_code(code, "001") == code
    assert check_code(f" {code[:9]} {code[9:]} ", "001") == code  # typed with spaces


@given(stores, digits12)
def test_every_made_code_checks_and_is_never_an_ean(store: str, random: str) -> None:
    code = make_code(store, random)
    assert check_code(code, store) == code
    assert not ean.is_valid(code)  # no EAN is 18 digits: never a product
    assert classify(code) is CodeKind.VOUCHER


@given(stores, digits12, st.integers(0, CODE_LENGTH - 1), st.integers(1, 9))
def test_any_one_digit_changed_is_refused(store: str, random: str, at: int, by: int) -> None:
    code = make_code(store, random)
    changed = code[:at] + str((int(code[at]) + by) % 10) + code[at + 1 :]
    with pytest.raises(VoucherError):
        check_code(changed, store)


def test_refusals_say_which() -> None:
    code = make_code("042", "000000000007")
    with pytest.raises(VoucherError, match="check digit"):
        check_code(code[:-1] + str((int(code[-1]) + 1) % 10), "042")
    with pytest.raises(VoucherError, match="from store 042; this is store 001"):
        check_code(code, "001")
    with pytest.raises(VoucherError, match="coupon"):
        check_code("9900112345670", "001")
    with pytest.raises(VoucherError, match="Not a voucher code"):
        check_code("4006381333931", "001")
    with pytest.raises(VoucherError, match="Not a voucher code"):
        check_code("９８" + code[2:], "042")  # full-width digits are not digits here


def test_classify() -> None:
    assert classify("9900112345675") is CodeKind.COUPON
    assert classify("4006381333931") is CodeKind.OTHER
    assert classify("97" + "0" * 16) is CodeKind.OTHER
    assert classify("") is CodeKind.OTHER


@pytest.mark.parametrize("bad", ["", "1", "0001", "abc", "1a2", "-01"])
def test_store_numbers_are_three_digits(bad: str) -> None:
    with pytest.raises(VoucherError, match="3 digits"):
        check_store_number(bad)
    with pytest.raises(VoucherError):
        make_code(bad, "0" * 12)
    assert check_store_number(" 007 ") == "007"


@pytest.mark.parametrize("bad", ["", "1" * 11, "1" * 13, "12345678901x"])
def test_twelve_random_digits(bad: str) -> None:
    with pytest.raises(VoucherError, match="12 random digits"):
        make_code("001", bad)


def test_face_value() -> None:
    assert check_face_value(1, 500_00) == 1
    assert check_face_value(500_00, 500_00) == 500_00
    with pytest.raises(VoucherError, match="more than 0.00"):
        check_face_value(0, 500_00)
    with pytest.raises(VoucherError, match="at most 500.00"):
        check_face_value(500_01, 500_00)


@pytest.mark.parametrize(
    ("sold", "months", "expires"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2027, 1, 31), 13, date(2028, 2, 29)),
        (date(2026, 12, 8), 24, date(2028, 12, 8)),
        (date(2026, 3, 31), 0, date(2026, 3, 31)),
    ],
)
def test_expiry(sold: date, months: int, expires: date) -> None:
    assert expiry(sold, months) == expires
    with pytest.raises(ValueError, match="negative"):
        add_months(sold, -1)


def test_usable_refusals_say_which() -> None:
    voucher = Voucher("x", 20_00, 5_00, date(2026, 12, 31))
    assert voucher.usable(date(2026, 12, 31)) is voucher
    with pytest.raises(VoucherError, match="expired on 2026-12-31"):
        voucher.usable(date(2027, 1, 1))
    with pytest.raises(VoucherError, match="voided"):
        Voucher("x", 20_00, 5_00, date(2026, 12, 31), voided=True).usable(date(2026, 1, 1))
    with pytest.raises(VoucherError, match="used up"):
        Voucher("x", 20_00, 0, date(2026, 12, 31)).usable(date(2026, 1, 1))
    with pytest.raises(ValueError, match="between 0 and its value"):
        Voucher("x", 20_00, 20_01, date(2026, 12, 31))


def test_redemption_pays_the_lesser_of_balance_and_due() -> None:
    assert redemption(20_00, 7_50) == 7_50
    assert redemption(5_00, 7_50) == 5_00
    with pytest.raises(VoucherError, match="Nothing is left"):
        redemption(5_00, 0)
    with pytest.raises(VoucherError, match="used up"):
        redemption(0, 1)
    voucher = Voucher("x", 20_00, 5_00, date(2026, 12, 31))
    assert voucher.redeem(5_00).balance == 0
    with pytest.raises(VoucherError, match="does not hold enough"):
        voucher.redeem(5_01)
    with pytest.raises(VoucherError, match="more than 0.00"):
        voucher.redeem(0)
    assert voucher.restore(15_00).balance == 20_00
    with pytest.raises(VoucherError, match="than it was ever worth"):
        voucher.restore(15_01)
    assert balance_text(voucher, "£") == "£5.00 left of £20.00, good until 2026-12-31"


operations = st.lists(
    st.tuples(st.sampled_from(["redeem", "restore"]), st.integers(-100, 60_00)), max_size=40
)


@given(st.integers(1, 500_00), operations)
def test_redemptions_never_exceed_the_value_nor_the_balance_go_below_zero(
    value: int, ops: list[tuple[str, int]]
) -> None:
    voucher = Voucher("x", value, value, date(2030, 1, 1))
    redeemed = restored = 0
    for op, amount in ops:
        try:
            if op == "redeem":
                taken = redemption(voucher.balance, amount)
                voucher = voucher.redeem(taken)
                redeemed += taken
            else:
                voucher = voucher.restore(amount)
                restored += amount
        except VoucherError:
            continue
        assert 0 <= voucher.balance <= value
        assert redeemed - restored == value - voucher.balance
        assert redeemed - restored <= value


@given(st.integers(0, 100_00), st.lists(st.integers(1, 100_00), max_size=12))
def test_tills_that_read_a_stale_balance_never_overspend(value: int, wanted: list[int]) -> None:
    """Every till reads the same balance and asks for what it wants (at most that
    balance); the conditional takes, applied in any order, never take more than the
    voucher held."""
    balance = value
    planned = [min(value, want) for want in wanted]  # each planned on the stale balance
    accepted = []
    for amount in planned:
        after = take(balance, amount)
        if after is not None:
            accepted.append(amount)
            balance = after
        assert balance >= 0
    assert sum(accepted) <= value
    assert sum(accepted) == value - balance


def test_a_conditional_take_refuses_nothing_and_too_much() -> None:
    assert take(5, 0) is None
    assert take(5, 6) is None
    assert take(5, 5) == 0
