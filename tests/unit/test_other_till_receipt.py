"""Another till's receipt typed into the sales history (issue 19), as its receipt prints
the till's name and the number."""

from __future__ import annotations

import pytest

from pos.domain.history import other_till_receipt


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("front 42", ("front", 42)),
        ("Till 2: 0042", ("Till 2", 42)),
        ("Till 2 42", ("Till 2", 42)),  # a name with a space: the number is the last word
        ("  back:7 ", ("back", 7)),
        ("2 42", ("2", 42)),  # tills named by a number
        ("42", None),  # this till's own receipt
        ("Till 1 42", None),  # this till's name: its own receipt
        ("2026-03-14", None),  # a date
        ("14/03/2026", None),  # a date the other way round: no till
        ("front", None),
        ("front 4²", None),  # only 0-9 make a receipt number
        ("front 1234567890123456789", None),  # more digits than any receipt number
    ],
)
def test_another_till_s_receipt_is_read_as_its_receipt_prints_it(
    text: str, found: tuple[str, int] | None
) -> None:
    assert other_till_receipt(text, "Till 1") == found
