"""Ids from names and the folding search uses, for German (and other European) text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopkit.model.base import id_problem
from coopkit.model.names import fold, slug, transliterate


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Jan de Vries", "jan-de-vries"),
        ("Aylin Yıldız", "aylin-yildiz"),
        ("Jürgen Groß", "juergen-gross"),
        ("Renée Müller-Lüdenscheidt", "renee-mueller-luedenscheidt"),
        ("Łukasz Żółkiewski", "lukasz-zolkiewski"),
        ("Søren Ærø", "soeren-aeroe"),
        ("Evaluationsgespräch 2014", "evaluationsgespraech-2014"),
        ("ÄÖÜ", "aeoeue"),
        ("  --  ", ""),
    ],
)
def test_slug_transliterates_and_keeps_every_word(name: str, expected: str) -> None:
    assert slug(name) == expected


def test_slug_cuts_between_words() -> None:
    assert slug("Arbeitstreffen der Kooperationspartner im Landkreis", 30) == "arbeitstreffen-der"


@given(st.text(max_size=80))
def test_slug_is_always_a_valid_id_or_empty(text: str) -> None:
    value = slug(text)
    assert value == "" or re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", value)
    assert transliterate(text).isascii()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Sprachförderung", "sprachfoerderung"),
        ("Sprachförderung", "sprachforderung"),
        ("Straße", "strasse"),
        ("weiß", "WEISS"),
        ("Yıldız", "yildiz"),
        ("Café", "cafe"),
        ("Übergänge", "uebergaenge"),
    ],
)
def test_fold_makes_spellings_equal(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_id_check_refuses_a_trailing_newline() -> None:
    assert id_problem("evil\n") is not None


@given(st.text(max_size=60))
def test_fold_positions_agree_with_fold(text: str) -> None:
    from coopkit.model.names import fold_positions

    folded, positions = fold_positions(text)
    assert folded == fold(text)
    assert len(positions) == len(folded)
    assert positions == sorted(positions)
    assert all(0 <= p < len(text) for p in positions)
