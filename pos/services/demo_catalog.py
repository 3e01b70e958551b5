"""The generated catalog of ``pos demo-data``: products and the discount rules on them.

Products have valid, unique EAN-13 barcodes (GS1 country prefixes, never the in-store
``2`` range), names combined from brand, product and size word lists, prices from 0.25
to 49.99 skewed low, VAT 0/5/20 % and a few percent weighed (``kg``) items. Rules are of
every kind, written as rule-file JSON and checked by :func:`~pos.domain.rule_format.parse_rules`
against the products they name. Everything comes from the random stream it is given.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from stdnum import ean

from pos.domain.catalog import Product, Unit
from pos.domain.discounts import Rule
from pos.domain.money import format_money
from pos.domain.rule_format import parse_rules
from pos.paths import DEMO_CATALOG

YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
"""Sales are spread over the 365 days from here (UTC), whatever the wall clock says."""
DAYS = 365

COMPANY_ITEMS = (20, 300)
"""How many products one GS1 company prefix has (each prefix belongs to one brand)."""
WEIGHED_SHARE = 0.03

# GS1 country prefixes of ordinary trade items (no 02x/04x restricted, no 2xx in-store,
# no 977-979 ISSN/ISBN, no 98x/99x coupons).
_COUNTRY_PREFIXES = tuple(
    f"{n:03d}"
    for first, last in (
        (1, 19),  # US and Canada
        (30, 39),
        (60, 139),
        (300, 379),  # France
        (400, 440),  # Germany
        (500, 509),  # UK
        (540, 549),  # Belgium, Luxembourg
        (590, 590),  # Poland
        (690, 699),  # China
        (760, 769),  # Switzerland
        (800, 839),  # Italy
        (840, 849),  # Spain
        (870, 879),  # Netherlands
    )
    for n in range(first, last + 1)
)

_BRAND_STARTS = (
    "Hill", "Meadow", "North", "Green", "River", "Oak", "Sun", "Harbour", "Bramble", "Thorn",
    "Ash", "King", "Willow", "Lark", "Fern", "Stone", "Elm", "Clear", "High", "Moor", "Fox",
    "Birch", "Croft", "Glen", "Castle", "Brook", "Pebble", "Wild", "Tide", "Golden", "Silver",
    "Red", "West", "East", "South", "Old", "Rose", "Bay", "Marsh", "Heather",
)  # fmt: skip
_BRAND_ENDS = (
    "side", "brook", "field", "acre", "vale", "ley", "ton", "wood", "gate", "mere", "stead",
    "bury", "well", "hurst", "dale",
)  # fmt: skip
_BRANDS = tuple(start + end for start in _BRAND_STARTS for end in _BRAND_ENDS)
"""600 brand names: Hillside, Meadowbrook, Northfield, ..."""
_VARIANTS = (
    "", "", "", "", "Organic ", "Original ", "Light ", "Classic ", "Family ", "Finest ",
    "Everyday ", "Free From ", "Luxury ", "Simply ", "British ", "Extra ",
)  # fmt: skip

# (product, sizes, VAT percent, typical price in pence for the first size)
_PRODUCTS: tuple[tuple[str, tuple[str, ...], int, int], ...] = (
    ("Oat Milk", ("1L", "2L"), 0, 165),
    ("Whole Milk", ("1 pint", "2 pints", "4 pints"), 0, 75),
    ("Semi Skimmed Milk", ("1 pint", "2 pints", "4 pints"), 0, 70),
    ("Mature Cheddar", ("200g", "400g", "800g"), 0, 235),
    ("Greek Yogurt", ("150g", "500g", "1kg"), 0, 95),
    ("Salted Butter", ("250g", "500g"), 0, 225),
    ("Free Range Eggs", ("6 pack", "12 pack"), 0, 195),
    ("Sourdough Loaf", ("400g", "800g"), 0, 215),
    ("Wholemeal Bread", ("400g", "800g"), 0, 110),
    ("Baked Beans", ("415g", "4 x 415g"), 0, 85),
    ("Chopped Tomatoes", ("400g", "4 x 400g"), 0, 55),
    ("Basmati Rice", ("500g", "1kg", "2kg"), 0, 150),
    ("Penne Pasta", ("500g", "1kg"), 0, 85),
    ("Spaghetti", ("500g", "1kg"), 0, 80),
    ("Porridge Oats", ("500g", "1kg"), 0, 110),
    ("Cornflakes", ("500g", "750g"), 0, 165),
    ("Crunchy Granola", ("450g", "1kg"), 0, 285),
    ("Smooth Peanut Butter", ("340g", "1kg"), 0, 210),
    ("Strawberry Jam", ("340g", "454g"), 0, 145),
    ("Clear Honey", ("340g", "454g"), 0, 325),
    ("Olive Oil", ("500ml", "1L"), 0, 495),
    ("Tuna Chunks", ("145g", "4 x 145g"), 0, 130),
    ("Chicken Breast Fillets", ("300g", "650g", "1kg"), 0, 375),
    ("Beef Mince", ("500g", "750g"), 0, 425),
    ("Smoked Salmon", ("100g", "200g"), 0, 350),
    ("Garden Peas", ("900g", "1.8kg"), 0, 135),
    ("Fish Fingers", ("10 pack", "20 pack"), 0, 225),
    ("Tea Bags", ("80 pack", "160 pack", "240 pack"), 0, 175),
    ("Ground Coffee", ("227g", "454g"), 0, 395),
    ("Instant Coffee", ("100g", "200g"), 0, 425),
    ("Gala Apples", ("4 pack", "6 pack"), 0, 155),
    ("Bananas", ("5 pack",), 0, 99),
    ("Cherry Tomatoes", ("250g", "500g"), 0, 125),
    ("Chestnut Mushrooms", ("250g", "500g"), 0, 110),
    ("Mixed Salad Leaves", ("120g", "200g"), 0, 100),
    ("Classic Hummus", ("200g", "300g"), 0, 115),
    ("Digestive Biscuits", ("400g", "2 x 400g"), 0, 95),
    ("Tomato Soup", ("400g", "600g"), 0, 120),
    ("Vegetable Stock Cubes", ("8 pack", "16 pack"), 0, 95),
    ("Frozen Pizza Margherita", ("300g", "2 x 300g"), 0, 250),
    ("Ready Salted Crisps", ("6 pack", "12 pack", "150g"), 20, 165),
    ("Milk Chocolate Bar", ("45g", "100g", "200g"), 20, 75),
    ("Cola", ("330ml", "1.5L", "6 x 330ml"), 20, 70),
    ("Orange Juice", ("1L", "1.75L"), 20, 185),
    ("Vanilla Ice Cream", ("500ml", "1L", "2L"), 20, 225),
    ("Red Wine", ("75cl",), 20, 799),
    ("Pale Ale", ("500ml", "4 x 440ml"), 20, 225),
    ("Washing Up Liquid", ("450ml", "900ml"), 20, 125),
    ("Laundry Liquid", ("1.3L", "2.6L"), 20, 550),
    ("Toilet Roll", ("4 pack", "9 pack", "16 pack"), 20, 275),
    ("Kitchen Roll", ("2 pack", "4 pack"), 20, 225),
    ("Bin Bags", ("20 pack", "40 pack"), 20, 199),
    ("Shampoo", ("250ml", "500ml"), 20, 299),
    ("Toothpaste", ("75ml", "125ml"), 20, 150),
    ("Hand Soap", ("250ml", "500ml"), 20, 120),
    ("AA Batteries", ("4 pack", "12 pack"), 20, 450),
    ("LED Light Bulb", ("5W", "9W"), 20, 399),
    ("Dog Food", ("400g", "12 x 400g"), 20, 125),
    ("Cat Litter", ("5L", "10L"), 20, 399),
    ("Scouring Sponges", ("4 pack", "10 pack"), 20, 99),
    ("Kitchen Foil", ("10m", "30m"), 20, 175),
    ("Nicotine Gum", ("24 pack", "105 pack"), 5, 599),
    ("Children's Car Seat Cover", ("one size",), 5, 1999),
    ("Energy Saving Draught Strip", ("5m",), 5, 650),
)

# weighed products: (name, VAT percent, typical price per kg in pence)
_WEIGHED = (
    ("Loose Carrots", 0, 80),
    ("Loose Brown Onions", 0, 95),
    ("Loose Baking Potatoes", 0, 110),
    ("Loose Braeburn Apples", 0, 250),
    ("Loose Conference Pears", 0, 230),
    ("Loose Vine Tomatoes", 0, 320),
    ("Deli Wensleydale", 0, 1200),
    ("Deli Honey Roast Ham", 0, 1650),
    ("Pick and Mix Sweets", 20, 1100),
    ("Loose Mixed Nuts", 0, 1800),
)

MIN_PRICE = 25
MAX_PRICE = 4999

_GROUPS = ("weekly offers", "meal deals", "summer specials", "big brands", "clearance")
_HOURS = ("17:00-19:00", "08:00-10:00", "12:00-14:00", "20:00-22:00", "22:00-02:00")
_WEEKDAY_SETS = (["sat", "sun"], ["mon", "tue", "wed"], ["fri"], ["thu", "fri", "sat"])


def _barcode(body: str) -> str:
    return body + ean.calc_check_digit(body)


def _demo_barcodes() -> set[str]:
    lines = DEMO_CATALOG.read_text(encoding="utf-8").splitlines()[1:]
    return {line.split(",", 1)[0] for line in lines if line.strip()}


def make_products(
    rng: random.Random,
    count: int,
    popular_at: set[int],
    popular: list[Product],
    progress: Callable[[int], None] | None,
    every: int = 10_000,
) -> Iterator[Product]:
    """``count`` products, streamed (never all in memory); the ones made at the
    positions ``popular_at`` are put on ``popular``, for the rules and sales."""
    taken = _demo_barcodes()
    companies: set[str] = set()
    made = 0
    while made < count:
        # a new company prefix (3 country digits + 4), with a brand, and its items
        while True:
            company = rng.choice(_COUNTRY_PREFIXES) + f"{rng.randrange(10_000):04d}"
            if company not in companies:
                companies.add(company)
                break
        brand = rng.choice(_BRANDS)
        size = min(rng.randint(*COMPANY_ITEMS), count - made)
        for item in sorted(rng.sample(range(100_000), size)):
            code = _barcode(f"{company}{item:05d}")
            if code in taken:  # one of the demo catalog's own
                continue
            product = _product(rng, code, brand)
            if made in popular_at:
                popular.append(product)
            made += 1
            yield product
            if progress is not None and made % every == 0:
                progress(every)
    if progress is not None and made % every:
        progress(made % every)


def _product(rng: random.Random, code: str, brand: str) -> Product:
    if rng.random() < WEIGHED_SHARE:
        name, vat, per_kg = rng.choice(_WEIGHED)
        price = _price(per_kg * math.exp(rng.gauss(0.0, 0.25)), high=MAX_PRICE)
        return Product(code, f"{brand} {name}", price, vat * 100, Unit.KG)
    name, sizes, vat, typical = rng.choice(_PRODUCTS)
    step = rng.randrange(len(sizes))
    base = typical * (1.6**step) * math.exp(rng.gauss(0.0, 0.3))
    variant = rng.choice(_VARIANTS)
    full = f"{brand} {variant}{name} {sizes[step]}"
    return Product(code, full, _price(base), vat * 100, Unit.EACH)


def make_rules(rng: random.Random, count: int, popular: list[Product]) -> list[Rule]:
    """``count`` rules of every kind on ``popular`` products, checked by ``parse_rules``
    against the products they name."""
    each = [p for p in popular if p.unit is Unit.EACH]
    weighed = [p for p in popular if p.unit is Unit.KG]
    makers: list[Callable[[random.Random, int], dict[str, object]]] = [
        lambda r, i: _multibuy(r, i, each),
        lambda r, i: _mix_and_match(r, i, each),
        lambda r, i: _free_items(r, i, each),
        lambda r, i: _percent_off(r, i, each, weighed),
        lambda r, i: _amount_off(r, i, each),
        _basket_amount_off,
        _basket_percent_off,
    ]
    data = []
    for i in range(count):
        # every kind in the first seven, then mostly item deals, as in a real shop
        maker = makers[i] if i < len(makers) else rng.choices(makers, (4, 2, 3, 4, 3, 1, 1))[0]
        rule = maker(rng, i + 1)
        _decorate(rng, i, rule)
        data.append(rule)
    by_code = {p.barcode: p for p in popular}
    return parse_rules({"discounts": data}, by_code.get)


def _price(pence: float, high: int = MAX_PRICE) -> int:
    """A shelf price: within range, ending in 9 (or 5 under a pound)."""
    value = max(MIN_PRICE, min(high, int(pence)))
    shelf = value // 10 * 10 + 9 if value >= 100 else max(MIN_PRICE, value // 5 * 5)
    return min(shelf, high)


def _money(pence: int) -> str:
    return format_money(max(1, pence))


def _multibuy(rng: random.Random, i: int, each: list[Product]) -> dict[str, object]:
    product = rng.choice(each)
    n = rng.choice((2, 3, 3, 4))
    price = product.price * n * rng.choice((60, 67, 75, 80)) // 100
    return {
        "name": f"{product.name[:50]} {n} for {_money(price)} #{i}",
        "kind": "multibuy",
        "items": {product.barcode: n},
        "price": _money(price),
    }


def _mix_and_match(rng: random.Random, i: int, each: list[Product]) -> dict[str, object]:
    chosen = rng.sample(each, min(len(each), rng.randint(3, 8)))
    n = rng.choice((2, 3))
    cheapest = sorted(p.price for p in chosen)[:n]
    price = sum(cheapest) * rng.choice((70, 80, 90)) // 100
    return {
        "name": f"Any {n} for {_money(price)} #{i}",
        "kind": "multibuy",
        "any_of": [p.barcode for p in chosen],
        "count": n,
        "price": _money(price),
    }


def _free_items(rng: random.Random, i: int, each: list[Product]) -> dict[str, object]:
    product = rng.choice(each)
    n = rng.choice((2, 3, 3))
    return {
        "name": f"{product.name[:50]} {n} for {n - 1} #{i}",
        "kind": "free_items",
        "items": {product.barcode: n},
        "free": 1,
    }


def _percent_off(
    rng: random.Random, i: int, each: list[Product], weighed: list[Product]
) -> dict[str, object]:
    product = rng.choice(weighed) if weighed and rng.random() < 0.2 else rng.choice(each)
    percent = rng.choice(("10", "15", "20", "25", "33.33", "50"))
    return {
        "name": f"{percent}% off {product.name[:50]} #{i}",
        "kind": "percent_off",
        "items": {product.barcode: 1},
        "percent": percent,
    }


def _amount_off(rng: random.Random, i: int, each: list[Product]) -> dict[str, object]:
    if rng.random() < 0.3:  # a pair of different products
        first, second = rng.sample(each, 2)
        items = {first.barcode: 1, second.barcode: 1}
        value = first.price + second.price
        label = f"{first.name[:24]} + {second.name[:24]}"
    else:
        product = rng.choice(each)
        n = rng.choice((1, 2))
        items = {product.barcode: n}
        value = product.price * n
        label = f"{n} x {product.name[:50]}"
    amount = max(5, value * rng.choice((10, 15, 20)) // 100 // 5 * 5)
    return {
        "name": f"{_money(amount)} off {label} #{i}",
        "kind": "amount_off",
        "items": items,
        "amount": _money(amount),
    }


def _basket_amount_off(rng: random.Random, i: int) -> dict[str, object]:
    spend = rng.choice((20, 30, 40, 50, 75, 100))
    amount = max(1, spend // rng.choice((5, 10, 20)))
    return {
        "name": f"{amount} off when you spend {spend} #{i}",
        "kind": "basket_amount_off",
        "min_subtotal": f"{spend}.00",
        "amount": f"{amount}.00",
    }


def _basket_percent_off(rng: random.Random, i: int) -> dict[str, object]:
    spend = rng.choice((50, 80, 100, 150, 200))
    percent = rng.choice(("5", "10", "15"))
    return {
        "name": f"{percent}% off when you spend {spend} #{i}",
        "kind": "basket_percent_off",
        "min_subtotal": f"{spend}.00",
        "percent": percent,
    }


def _decorate(rng: random.Random, i: int, rule: dict[str, object]) -> None:
    """Priorities for most; a few exclusive; some in a group, in a date window, on some
    weekdays or hours, or with a minimum spend (by the rule's number, so that even a
    few dozen rules have each of them)."""
    rule["priority"] = rng.choice((0, 10, 20, 50, 100))
    if i % 40 == 9:
        rule["exclusive"] = True
    if i % 5 == 1:
        rule["group"] = rng.choice(_GROUPS)
    if i % 10 == 3:
        start = YEAR_START.replace(tzinfo=None) + timedelta(days=rng.randrange(DAYS - 30))
        rule["starts_at"] = start.isoformat()
        rule["ends_at"] = (start + timedelta(days=rng.choice((1, 7, 14, 28)))).isoformat()
    if i % 10 == 6:
        rule["weekdays"] = rng.choice(_WEEKDAY_SETS)
    if i % 12 == 8:
        rule["hours"] = rng.choice(_HOURS)
    if "items" in rule and i % 20 == 4:
        rule["min_subtotal"] = rng.choice(("10.00", "20.00"))
