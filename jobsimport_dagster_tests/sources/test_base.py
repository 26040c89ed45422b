"""Shared adapter helpers: header cleaning and the formula guard of the failed-rows CSV."""

import pandas as pd
import pytest

from jobsimport_dagster.sources.base import clean_header, text_column, unguard


@pytest.mark.parametrize(
    ("header", "cleaned"),
    [
        # Excel's "CSV UTF-8" puts a BOM before the first name
        (["\ufeffTitle", "Year"], ["Title", "Year"]),
        # spaces around names
        ([" Title ", "\tYear"], ["Title", "Year"]),
        # a trailing comma makes an unnamed column: it is named by position
        (["Title", "Year", ""], ["Title", "Year", "column 3"]),
    ],
)
def test_clean_header(header: list[str], cleaned: list[str]) -> None:
    assert clean_header(header) == cleaned


@pytest.mark.parametrize(
    ("cell", "unguarded"),
    [
        # the guard the failed-rows CSV adds before each formula character
        ('\'=HYPERLINK("x")', '=HYPERLINK("x")'),
        ("'+1", "+1"),
        ("'-5", "-5"),
        ("'@user", "@user"),
        # a title that starts with an apostrophe is data (the film '71)
        ("'71", "'71"),
        ("'Salem's Lot", "'Salem's Lot"),
        # a formula nobody guarded is kept as data
        ('=HYPERLINK("x")', '=HYPERLINK("x")'),
        # a lone apostrophe and an empty cell
        ("'", "'"),
        ("", ""),
    ],
)
def test_unguard_strips_only_the_formula_guard(cell: str, unguarded: str) -> None:
    assert unguard(pd.Series(["plain", cell])).tolist() == ["plain", unguarded]


def test_text_column_strips_and_blanks_a_missing_column() -> None:
    cells = pd.DataFrame({"Name": ["  Up ", "'-1"]})
    assert text_column(cells, "Name").tolist() == ["Up", "-1"]
    assert text_column(cells, "IMDb ID").tolist() == ["", ""]
