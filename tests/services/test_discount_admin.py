"""The discount editor's service: checks, saves, approvals bound to one change, search."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pos.auth.guard import LoginRequired
from pos.db.coupons import CouponRepository, Issue
from pos.db.database import open_database
from pos.domain.clock import FixedClock, SequentialIds
from pos.domain.coupons import make_code
from pos.domain.rule_form import RuleForm, check_form
from pos.services.container import Services, build_services
from pos.services.discount_admin import EditRefused, NeedsApproval, summarise
from tests.conftest import CASHIER, FAST_HASHER, MANAGER

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL

LEMON = "5000000000012"
PEN = "4006381333931"


@pytest.fixture
def services(shop_db: Path, clock: FixedClock) -> Services:
    built = build_services(shop_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    yield built  # type: ignore[misc]
    built.close()


def lemons(name: str = "Two lemons", price: str = "0.80") -> RuleForm:
    return RuleForm(name=name, kind="multibuy", products=[(LEMON, 2)], price=price)


def test_every_faulty_field_is_named_at_once() -> None:
    form = RuleForm(
        name="",
        kind="amount_off",
        products=[(LEMON, 0)],
        amount="x",
        starts_at="2026-12-02",
        ends_at="2026-12-01",
        priority="high",
    )
    rule, errors = check_form(form)
    assert rule is None
    assert errors == {
        "name": "Every rule needs a name",
        "count": "Each product's count must be between 1 and 99",
        "amount": "Amount 'x' is not a number",
        "ends_at": "End must be after start",
        "priority": "Priority must be a whole number",
    }


def test_the_form_and_the_file_share_one_set_of_rules() -> None:
    rule, errors = check_form(
        RuleForm(
            name="Meal",
            kind="multibuy",
            any_of=True,
            products=[(LEMON, 1)],
            count="3",
            price="3.50",
        )
    )
    assert errors == {}
    assert rule is not None
    assert (rule.any_of, rule.count, rule.price) == ((LEMON,), 3, 350)
    assert RuleForm.from_rule(rule).any_of
    _, errors = check_form(RuleForm(name="B", kind="basket_percent_off", percent="150"))
    assert errors == {"percent": "Percent must be more than 0 and at most 100"}
    # the spend threshold is optional, as in the file: without one, every sale
    rule, errors = check_form(RuleForm(name="B", kind="basket_amount_off", amount="1.00"))
    assert errors == {}
    assert rule is not None
    assert (rule.min_subtotal, rule.amount) == (0, 100)


def test_a_manager_saves_renames_and_the_audit_has_both_sides(services: Services) -> None:
    services.sessions.login(*MANAGER)
    admin = services.discount_admin
    admin.save(lemons())
    admin.save(lemons("Lemon pair", "0.90"), editing="Two lemons")
    assert admin.get("Two lemons") is None
    renamed = admin.get("lemon pair")
    assert renamed is not None
    assert renamed.price == 90
    saved = [
        json.loads(e.details) for e in services.audit.entries() if e.event == "discount_rule_saved"
    ]
    assert (saved[-1]["before"]["name"], saved[-1]["before"]["price"]) == ("Two lemons", "0.80")
    assert (saved[-1]["after"]["name"], saved[-1]["after"]["price"]) == ("Lemon pair", "0.90")
    with pytest.raises(EditRefused, match="Another rule is already called"):
        admin.save(lemons("Meal deal"))


def test_a_coupon_rule_with_codes_keeps_its_name(services: Services) -> None:
    """Issue 22: its codes name the rule; renamed, they would unlock nothing."""
    services.sessions.login(*MANAGER)
    admin = services.discount_admin
    form = lemons()
    form.coupon = True
    admin.save(form)
    CouponRepository(services.db).issue(
        Issue("Two lemons", 1, 1, None, services.clock.now(), None),
        lambda: make_code("001", "1234567"),
    )
    with pytest.raises(EditRefused, match="coupon codes were issued for 'Two lemons' and name it"):
        admin.save(lemons("Lemon pair", "0.80"), editing="Two lemons")
    assert admin.get("Two lemons") is not None
    form.price = "0.70"
    admin.save(form, editing="Two lemons")  # a change that keeps the name is fine
    admin.save(lemons("two LEMONS", "0.70"), editing="Two lemons")  # and one of its case


def test_a_cashier_needs_an_approval_bound_to_exactly_that_change(services: Services) -> None:
    services.sessions.login(*CASHIER)
    admin = services.discount_admin
    with pytest.raises(NeedsApproval) as asked:
        admin.save(lemons())
    token = services.approvals.grant(
        *MANAGER, requester=CASHIER[0], scope="discounts:edit", action=asked.value.action
    )
    with pytest.raises(EditRefused):  # the approval was for 0.80, not 0.10
        admin.save(lemons(price="0.10"), approval=token)
    assert admin.get("Two lemons") is None
    token = services.approvals.grant(
        *MANAGER, requester=CASHIER[0], scope="discounts:edit", action=asked.value.action
    )
    admin.save(lemons(), approval=token)
    assert admin.get("Two lemons") is not None
    with pytest.raises(EditRefused, match="already used"):  # single use
        admin.save(lemons(), editing="Two lemons", approval=token)


def test_a_lapsed_session_changes_nothing(services: Services) -> None:
    services.sessions.login(*MANAGER)
    services.guard.logout()
    with pytest.raises(LoginRequired):
        services.discount_admin.delete("Meal deal")
    with pytest.raises(LoginRequired):  # nor are the rules shown to nobody
        services.discount_admin.get("Meal deal")
    services.sessions.login(*MANAGER)
    assert services.discount_admin.get("Meal deal") is not None


def test_a_change_shows_on_the_next_scan(services: Services) -> None:
    services.sessions.login(*MANAGER)
    services.checkout.submit(LEMON)
    services.checkout.submit(LEMON)
    assert services.checkout.priced.total == 100
    services.discount_admin.save(lemons())
    services.checkout.submit(PEN)
    assert services.checkout.priced.total == 80 + 120


def test_the_product_picker_finds_as_find_does(services: Services) -> None:
    """The editor's picker lists what Find finds: words of the name in any order and any
    case, each the start of a word; a PLU typed whole first; nothing for no word."""
    services.sessions.login(*MANAGER)
    found = services.discount_admin.search_products("lem")
    assert [p.barcode for p in found] == [LEMON]
    assert [p.barcode for p in services.discount_admin.search_products("LEMON")] == [LEMON]
    assert [p.barcode for p in services.discount_admin.search_products("unw lem")] == [LEMON]
    assert [p.barcode for p in services.discount_admin.search_products("4053")] == [LEMON]
    assert services.discount_admin.search_products("") == []
    assert services.discount_admin.search_products("%") == []


def test_saving_a_rule_deleted_meanwhile_does_not_bring_it_back(services: Services) -> None:
    services.sessions.login(*MANAGER)
    admin = services.discount_admin
    form = RuleForm.from_rule(admin.get("Meal deal"))  # type: ignore[arg-type]
    form.priority = "5"
    other = open_database(services.db_path)  # another till deletes it
    try:
        from pos.db.repositories import DiscountRepository

        assert DiscountRepository(other).delete("Meal deal")
    finally:
        other.close()
    with pytest.raises(EditRefused, match="was deleted meanwhile"):
        admin.save(form, editing="Meal deal")
    assert admin.get("Meal deal") is None
    with pytest.raises(EditRefused, match="may have been deleted"):
        admin.set_active("Meal deal", False)


def test_the_preview_prices_without_the_rule_as_saved_and_as_edited(services: Services) -> None:
    services.sessions.login(*MANAGER)
    admin = services.discount_admin
    basket = admin.sample_basket(f"{LEMON}:3")
    form = RuleForm.from_rule(admin.get("Lemons 3 for 1.30"))  # type: ignore[arg-type]
    form.price = "1.00"
    rule, _ = admin.check(form, "Lemons 3 for 1.30")
    assert rule is not None
    preview = admin.preview(rule, basket, editing="Lemons 3 for 1.30")
    assert preview.without.total == 150  # no lemon deal at all
    assert preview.as_saved is not None
    assert preview.as_saved.total == 130
    assert preview.with_rule.total == 100
    text = "\n".join(summarise(preview))
    assert "As saved" in text
    assert "As edited" in text


def test_the_preview_prices_a_coupon_rule_as_if_its_coupon_were_scanned(
    services: Services,
) -> None:
    """Issue 22: a coupon rule counts only in a sale with its code; the preview shows its deal."""
    services.sessions.login(*MANAGER)
    admin = services.discount_admin
    form = RuleForm.from_rule(admin.get("Lemons 3 for 1.30"))  # type: ignore[arg-type]
    form.coupon, form.price = True, "1.00"
    rule, _ = admin.check(form, "Lemons 3 for 1.30")
    assert rule is not None
    preview = admin.preview(rule, admin.sample_basket(f"{LEMON}:3"), editing="Lemons 3 for 1.30")
    assert preview.with_rule.total == 100


def test_the_table_sees_a_rule_saved_on_another_till(services: Services) -> None:
    """The editor keeps the rules between keystrokes, but never past a change."""
    from pos.db.repositories import DiscountRepository
    from pos.domain.rule_format import parse_rule

    services.sessions.login(*MANAGER)
    admin = services.discount_admin
    before = [row.rule.name for row in admin.rows()]
    other = open_database(services.db_path)
    try:
        DiscountRepository(other).save(
            parse_rule({"name": "Pen pair", "kind": "multibuy", "items": {PEN: 2}, "price": "2.00"})
        )
    finally:
        other.close()
    after = admin.rows("pen pair")
    assert [row.rule.name for row in after] == ["Pen pair"]
    assert after[0].condition == "2 x Highlighter pen yellow"
    assert "Pen pair" not in before


def test_a_parked_cart_is_priced_with_a_rule_added_while_it_was_parked(
    services: Services,
) -> None:
    services.sessions.login(*MANAGER)
    checkout = services.checkout
    checkout.submit(LEMON)
    checkout.submit(LEMON)
    assert checkout.priced.total == 100
    assert "Cart parked" in checkout.park().message
    services.discount_admin.save(lemons())  # 2 for 0.80, added in the editor meanwhile
    parked = checkout.parked()
    assert isinstance(parked, list)
    assert len(parked) == 1
    assert "Recalled" in checkout.recall(parked[0].id).message
    assert checkout.cart.item_count == 2
    assert checkout.priced.total == 80
    assert [d.name for d in checkout.priced.discounts] == ["Two lemons"]


def _denials(services: Services) -> int:
    return sum(1 for e in services.audit.entries() if e.event == "authz_denied")


def test_one_refusal_is_one_audit_entry_when_a_manager_approves(services: Services) -> None:
    """A cashier's change is refused once (logged), then made with the approval: the
    second try looks at the scope again without logging a second refusal."""
    services.sessions.login(*CASHIER)
    admin = services.discount_admin
    before = _denials(services)
    with pytest.raises(NeedsApproval) as asked:
        admin.set_active("Meal deal", False)
    assert _denials(services) == before + 1
    token = services.approvals.grant(
        *MANAGER, requester=CASHIER[0], scope="discounts:edit", action=asked.value.action
    )
    admin.set_active("Meal deal", False, approval=token)
    assert admin.get("Meal deal").active is False  # type: ignore[union-attr]
    assert _denials(services) == before + 1
    # the editor opened with an approval: checked and used up, no second refusal logged
    from pos.services.discount_admin import OPEN_ACTION

    token = services.approvals.grant(
        *MANAGER, requester=CASHIER[0], scope="discounts:edit", action=OPEN_ACTION
    )
    assert admin.open(token)
    assert _denials(services) == before + 1
    assert not admin.open(token)  # single use
    assert not admin.open(None)  # no approval: refused, and that refusal is logged
    assert _denials(services) == before + 2


def test_the_preview_says_why_a_dearer_multibuy_never_applies(services: Services) -> None:
    services.sessions.login(*MANAGER)
    admin = services.discount_admin
    basket = admin.sample_basket(f"{LEMON}:2")
    rule, errors = admin.check(lemons(price="5.00"))  # two lemons cost 1.00 anyway
    assert errors == {}
    assert rule is not None
    preview = admin.preview(rule, basket)
    assert preview.rule_saving == 0
    text = summarise(preview)
    assert "This rule does not apply to this basket" not in text
    assert text[-3:] == [
        "The set costs 1.00 at normal prices;",
        "this deal would cost more,",
        "so it is never applied.",
    ]
    assert all(len(line) <= 38 for line in text)
    same, _ = admin.check(lemons(price="1.00"))
    assert same is not None
    assert "this deal would save nothing," in summarise(admin.preview(same, basket))
    # an empty basket says it too; a deal that saves says nothing of the kind
    empty = summarise(admin.preview(rule, admin.sample_basket("")))
    assert "so it is never applied." in empty
    cheap, _ = admin.check(lemons(price="0.80"))
    assert cheap is not None
    assert "never applied" not in "\n".join(summarise(admin.preview(cheap, basket)))
    # any 2 of lemons (0.50) and highlighters (1.20): a set costs at most 2.40
    meal, errors = admin.check(
        RuleForm(
            name="Any two",
            kind="multibuy",
            any_of=True,
            products=[(LEMON, 1), (PEN, 1)],
            count="2",
            price="2.40",
        )
    )
    assert errors == {}
    assert meal is not None
    assert summarise(admin.preview(meal, basket))[-3:] == [
        "A set costs at most 2.40 at normal",
        "prices; this deal would save nothing,",
        "so it is never applied.",
    ]
