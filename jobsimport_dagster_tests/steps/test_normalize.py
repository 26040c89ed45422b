"""Normalization: dedupe keys (SPEC §7) and the payload seed later steps read."""

import json
import re
import sys
import unicodedata

import pandas as pd
import pytest

from jobsimport_dagster.db.rows import json_lines
from jobsimport_dagster.sources.base import MAPPED_COLUMNS
from jobsimport_dagster.steps.normalize import (
    build_seeds,
    dedupe_keys,
    movie_dedupe_key,
    normalize_title,
    show_dedupe_key,
)


@pytest.mark.parametrize(
    ("title", "normalized"),
    [
        # case-folded
        ("The Matrix", "the matrix"),
        # whitespace collapsed and trimmed, tabs included (Netflix titles hold tabs)
        ("  Past\t Lives ", "past lives"),
        # NFKC: a full-width letter and a ligature become plain letters
        ("\uff37all·E \ufb01lm", "wall·e film"),
        # casefold, not lower: ß folds to ss
        ("Die Straße", "die strasse"),
    ],
)
def test_normalize_title(title: str, normalized: str) -> None:
    assert normalize_title(title) == normalized


def test_normalize_title_collapses_every_unicode_whitespace_as_a_regex_would() -> None:
    # Dedupe keys made before `split()` replaced `re.sub(r"\s+", " ", …).strip()` stay equal.
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if re.fullmatch(r"\s", chr(c))]
    assert spaces == [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    for space in spaces:
        title = unicodedata.normalize("NFKC", f"{space}Past{space}{space}Lives{space}")
        expected = re.sub(r"\s+", " ", title).strip().casefold()
        assert normalize_title(f"{space}Past{space}{space}Lives{space}") == expected


def test_dedupe_keys_join_title_and_date_or_show_and_season() -> None:
    assert movie_dedupe_key(" Past  Lives", "2023-09-02") == "past lives|2023-09-02"
    assert show_dedupe_key("Severance", 2) == "severance|s2"


def mapped(**columns: list[str]) -> pd.DataFrame:
    size = len(next(iter(columns.values())))
    return pd.DataFrame({c: columns.get(c, [""] * size) for c in MAPPED_COLUMNS})


def test_movie_seeds_have_exactly_the_contract_keys() -> None:
    frame = mapped(
        title=["Past Lives", '=HYPERLINK("x")'],
        viewing_date=["2023-09-02", "2024-01-01"],
        year=["2023", ""],
        imdb_id=["tt13238346", ""],
        rating=["5", ""],
        rewatch=["Yes", ""],
        tags=["cinema", ""],
        review=["Loved it,\nreally", ""],
        source_uri=["https://boxd.it/4N42O9", ""],
    )
    seeds = build_seeds(frame, "movies")
    assert [json.loads(p) for p in json_lines(seeds)] == [
        {
            "title": "Past Lives",
            "viewing_date": "2023-09-02",
            "year": 2023,
            "imdb_id": "tt13238346",
            "rating": "5",
            "rewatch": True,
            "tags": "cinema",
            "review": "Loved it,\nreally",
            "source_uri": "https://boxd.it/4N42O9",
        },
        {
            # a formula-looking title is data; blanks are null, an empty Year too
            "title": '=HYPERLINK("x")',
            "viewing_date": "2024-01-01",
            "year": None,
            "imdb_id": None,
            "rating": None,
            "rewatch": False,
            "tags": None,
            "review": None,
            "source_uri": None,
        },
    ]
    assert dedupe_keys(seeds, "movies") == ["past lives|2023-09-02", '=hyperlink("x")|2024-01-01']


def test_show_seeds_have_exactly_the_contract_keys() -> None:
    frame = mapped(
        title=["Severance", "The Bear"],
        season=["2", "03"],
        viewing_date=["2025-01-17", "2024-06-27"],
        imdb_id=["tt11280740", ""],
    )
    seeds = build_seeds(frame, "shows")
    assert [json.loads(p) for p in json_lines(seeds)] == [
        {
            "show": "Severance",
            "season": 2,
            "viewing_date": "2025-01-17",
            "year": None,
            "imdb_id": "tt11280740",
        },
        # a zero-padded season is the same season
        {
            "show": "The Bear",
            "season": 3,
            "viewing_date": "2024-06-27",
            "year": None,
            "imdb_id": None,
        },
    ]
    assert dedupe_keys(seeds, "shows") == ["severance|s2", "the bear|s3"]
