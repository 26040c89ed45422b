"""Normalization: the payload seed of a valid row and its dedupe key (SPEC §7)."""

import re
import unicodedata

import pandas as pd

# Folding for comparisons that ignore case and accents: decompose (NFD), drop the combining
# accents, lower(), then fold the few letters that have no decomposition or fold to two letters.
# `db/row_list.folded` does the same in SQL, step for step.
COMBINING_MARKS = "[\u0300-\u036f]"
_COMBINING = re.compile(COMBINING_MARKS)
SINGLE_LETTERS = ("øłđħı", "oldhi")
TWO_LETTERS = (("ß", "ss"), ("æ", "ae"), ("œ", "oe"), ("þ", "th"))
_PYTHON_FOLD = str.maketrans(*SINGLE_LETTERS)


def normalize_title(title: str) -> str:
    """Unicode NFKC, case-folded, whitespace collapsed: the title part of every dedupe key.

    `split()` and a `\\s+` pattern know the same whitespace (`str.isspace`, every code point
    checked), so splitting and joining collapses and trims it as `re.sub` and `strip()` did,
    in a third of the time: dedupe keys are made for every valid row of a file.
    """
    return " ".join(unicodedata.normalize("NFKC", title).split()).casefold()


def fold_text(text: str) -> str:
    """Text as search compares it: lower case, accents dropped (`Amélie` -> `amelie`).

    ASCII text has nothing to decompose or fold, so lower() is all it needs, as in the SQL
    twin: most titles take that shortcut, which keeps folding every title of a file cheap.
    """
    if text.isascii():
        return text.lower()
    folded = _COMBINING.sub("", unicodedata.normalize("NFD", text)).lower()
    folded = folded.translate(_PYTHON_FOLD)
    for letter, letters in TWO_LETTERS:
        folded = folded.replace(letter, letters)
    return folded


def movie_dedupe_key(title: str, viewing_date: str) -> str:
    """`<normalized title>|<YYYY-MM-DD>`: the same film seen on the same day is one record."""
    return f"{normalize_title(title)}|{viewing_date}"


def show_dedupe_key(show: str, season: int) -> str:
    """`<normalized show>|s<season>`: a show-season is one catalogue record."""
    return f"{normalize_title(show)}|s{season}"


def build_seeds(mapped: pd.DataFrame, import_type: str) -> pd.DataFrame:
    """The `normalized_payload` of valid rows, one column per key, in the order later steps read.

    movies: title, viewing_date, year, imdb_id, rating, rewatch, tags, review, source_uri;
    shows: show, season, viewing_date, year, imdb_id. Blank text becomes None; `year` (and
    `season`) are whole numbers; `rewatch` is Letterboxd's "Yes". `mapped` is an adapter's
    (already stripped) output.
    """
    title = mapped["title"]
    common = {
        "viewing_date": mapped["viewing_date"],
        "year": _whole_numbers(mapped["year"]),
        "imdb_id": _text_or_none(mapped["imdb_id"]),
    }
    if import_type == "shows":
        return pd.DataFrame(
            {"show": title, "season": _whole_numbers(mapped["season"]), **common},
            index=mapped.index,
        )
    return pd.DataFrame(
        {
            "title": title,
            **common,
            "rating": _text_or_none(mapped["rating"]),
            "rewatch": mapped["rewatch"].str.casefold() == "yes",
            "tags": _text_or_none(mapped["tags"]),
            "review": _text_or_none(mapped["review"]),
            "source_uri": _text_or_none(mapped["source_uri"]),
        },
        index=mapped.index,
    )


def dedupe_keys(seeds: pd.DataFrame, import_type: str) -> list[str]:
    """Each seed's dedupe key, by the same functions as every other dedupe check."""
    if import_type == "shows":
        return [show_dedupe_key(s, n) for s, n in zip(seeds["show"], seeds["season"], strict=True)]
    return [
        movie_dedupe_key(t, d) for t, d in zip(seeds["title"], seeds["viewing_date"], strict=True)
    ]


def _text_or_none(column: pd.Series) -> pd.Series:
    return column.where(column != "", None)


def _whole_numbers(column: pd.Series) -> pd.Series:
    """Validated digits (or blank) as nullable integers; blank becomes missing (JSON null)."""
    blank = column == ""
    return column.where(~blank, "0").astype("int64").astype("Int64").mask(blank)
