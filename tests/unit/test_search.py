"""The words of a search and the index queries built from them (pos.domain.search): what
a cashier types is folded as names are, and never reaches an index as its syntax."""

from __future__ import annotations

import pytest

from pos.domain.search import (
    MAX_SEARCH_LENGTH,
    MAX_WORDS,
    SearchError,
    fold,
    fts5_query,
    name_order,
    plu_typed,
    search_words,
    tsquery,
    words,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("sem sk", ["sem", "sk"]),
        ("  SEM   Sk ", ["sem", "sk"]),
        ("sk sem", ["sk", "sem"]),  # any order: kept as typed
        ("crème", ["creme"]),
        ("CRÈME FRAÎCHE", ["creme", "fraiche"]),
        ("cre\u0300me", ["creme"]),  # a decomposed accent too
        ("semi-skimmed", ["semi", "skimmed"]),
        ("1.5l", ["1", "5l"]),
        ("milk milk MILK", ["milk"]),  # once each
        ('"milk" AND NEAR(bread) -x *', ["milk", "and", "near", "bread", "x"]),
        ("o'brien's", ["o", "brien", "s"]),
        ("cola_zero", ["cola", "zero"]),
        ("smørrebrød", ["smørrebrød"]),  # not decomposed by Unicode: kept, as FTS5 does
        ("Straße", ["straße"]),
        ("4011", ["4011"]),
    ],
)
def test_search_words_are_folded_as_names_are(typed: str, expected: list[str]) -> None:
    assert search_words(typed) == expected


def test_a_name_folds_to_the_words_a_search_types() -> None:
    assert fold("Crème Fraîche") == "creme fraiche"
    assert words("Semi-skimmed milk 2 pt") == ["semi", "skimmed", "milk", "2", "pt"]
    assert words("Ǻpfel İnci") == ["apfel", "inci"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "type a few letters of the product's name, its PLU or its barcode"),
        ("   ", "type a few letters"),
        ("-- ** !!", "type a few letters"),
        ("x" * 500, f"the search is 500 characters long; type at most {MAX_SEARCH_LENGTH}"),
        ("milk\x00", "the search holds a control character; type letters and digits only"),
        ("milk\x1b[2J", "control character"),
        ("mi\u200blk", "control character"),  # a zero-width space (format character)
        (" ".join("abcdefghij"), f"the search has 10 words; type at most {MAX_WORDS}"),
    ],
)
def test_a_search_that_cannot_run_says_what_to_type(typed: str, message: str) -> None:
    with pytest.raises(SearchError) as info:
        search_words(typed)
    assert message in str(info.value)


def test_the_longest_search_allowed_runs() -> None:
    assert search_words("a" * MAX_SEARCH_LENGTH) == ["a" * MAX_SEARCH_LENGTH]


def test_every_word_is_a_quoted_prefix_in_fts5() -> None:
    assert fts5_query(["sem", "sk"]) == '"sem"* AND "sk"*'
    assert fts5_query(["and", "near", "or", "not"]) == '"and"* AND "near"* AND "or"* AND "not"*'
    # search_words never lets a quote through; the quoting doubles one anyway
    assert fts5_query(['a"b']) == '"a""b"*'


def test_a_word_with_its_index_words_is_those_words_exactly() -> None:
    terms = {"chick": ["chicken", "chickpea"], "x": ['a"b']}
    assert fts5_query(["chick", "s"], terms) == '("chicken" OR "chickpea") AND "s"*'
    assert fts5_query(["x"], terms) == '("a""b")'


def test_every_word_is_a_quoted_prefix_in_a_tsquery() -> None:
    assert tsquery(["sem", "sk"]) == "'sem':* & 'sk':*"
    assert tsquery(["o'k", "a\\b"]) == "'o''k':* & 'a\\\\b':*"


@pytest.mark.parametrize(
    ("typed", "plu"),
    [("4011", "4011"), (" 94011 ", "94011"), ("401", None), ("940111", None), ("40a1", None)],
)
def test_a_plu_is_four_or_five_digits_alone(typed: str, plu: str | None) -> None:
    assert plu_typed(typed) == plu


def test_names_that_begin_with_the_first_word_and_have_whole_words_come_first() -> None:
    search = ["milk"]
    names = ["Whole milk 4 pints", "Milkshake banana", "Milk chocolate bar", "Almond milk"]
    ranked = sorted(names, key=lambda name: name_order(search, name, "0"))
    assert ranked == ["Milk chocolate bar", "Milkshake banana", "Almond milk", "Whole milk 4 pints"]
    # accents and case aside in the alphabetical order
    assert sorted(["Écru", "eclair", "Ecrin"], key=lambda n: name_order(["x"], n, "0")) == [
        "eclair",
        "Ecrin",
        "Écru",
    ]
