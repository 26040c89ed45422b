"""Normalization: the payload seed of a valid row and its dedupe key (SPEC §7)."""

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")


def normalize_title(title: str) -> str:
    """Unicode NFKC, case-folded, whitespace collapsed: the title part of every dedupe key."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", title)).strip().casefold()


def movie_dedupe_key(title: str, viewing_date: str) -> str:
    """`<normalized title>|<YYYY-MM-DD>`: the same film seen on the same day is one record."""
    return f"{normalize_title(title)}|{viewing_date}"


def show_dedupe_key(show: str, season: int) -> str:
    """`<normalized show>|s<season>`: a show-season is one catalogue record."""
    return f"{normalize_title(show)}|s{season}"
