"""The key bar's wrapping: between keys only, in order, never past the width."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pos.widgets.key_bar import GAP, Key, arrange


def key(display: str, label: str = "") -> Key:
    return Key(display.lower(), display, label, True)


def test_keys_wrap_between_keys() -> None:
    keys = [key("F1", "One"), key("F2", "Two"), key("F3", "Three")]  # 6, 6 and 8 cells
    assert arrange(keys, 22) == [keys]  # 6 + 1 + 6 + 1 + 8
    assert arrange(keys, 21) == [keys[:2], keys[2:]]
    assert arrange(keys, 13) == [keys[:2], keys[2:]]
    assert arrange(keys, 12) == [keys[:1], keys[1:2], keys[2:]]


def test_a_key_wider_than_the_bar_gets_its_own_row() -> None:
    keys = [key("F1", "a very long label"), key("F2")]
    assert arrange(keys, 5) == [keys[:1], keys[1:]]


@given(
    labels=st.lists(st.text("abc ", min_size=0, max_size=12), min_size=0, max_size=20),
    width=st.integers(1, 120),
)
def test_rows_keep_the_order_and_fit(labels: list[str], width: int) -> None:
    keys = [key(f"F{i}", label) for i, label in enumerate(labels)]
    rows = arrange(keys, width)
    assert [k for row in rows for k in row] == keys
    for row in rows:
        used = sum(k.width for k in row) + GAP * (len(row) - 1)
        assert used <= width or len(row) == 1
