"""OMDb client: title, ID and search lookups; its answers parsed into frozen dataclasses
(`OmdbTitle`, `SearchCandidate`); OMDb's error bodies become results or errors."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pyrate_limiter import Limiter, Rate

from jobsimport_dagster.clients.http import HttpPolicy, build_session, send_get
from jobsimport_dagster.errors import BudgetExhausted, MissingCredential, UpstreamUnavailable

CREDENTIAL = "OMDB_API_KEY"
KINDS = frozenset({"movie", "series", "episode"})
# `Response: False` errors that mean "no such title": the lookup answers None (or [] for search).
NOT_FOUND_ERRORS = frozenset(
    {
        "Movie not found!",
        "Incorrect IMDb ID.",
        "Incorrect IMDb ID",
        "Error getting data.",
        "Series or season not found!",
        "Too many results.",
    }
)
LIMIT_ERRORS = frozenset({"Request limit reached!", "Daily request limit reached!"})
KEY_ERRORS = frozenset({"Invalid API key!", "No API key provided."})
# A malformed `i=` gets an error body that is not JSON (its inner quotes are not escaped).
_BROKEN_ERROR_PREFIX = '{"Response":"False"'
_LEADING_YEAR = re.compile(r"^\s*(\d{4})")


class Kind(StrEnum):
    """What an import looks for, spelled as OMDb's `type=` parameter and `Type` field."""

    MOVIE = "movie"
    SERIES = "series"


def parse_year(value: object) -> int | None:
    """The first year of `2019`, `2011-2012` (OMDb writes an en dash), `2014-`; None for `N/A`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _LEADING_YEAR.match(str(value)) if value is not None else None
    return int(match.group(1)) if match else None


def _text(data: Mapping[str, Any], key: str) -> str | None:
    """A field's text, None when absent, empty or OMDb's `N/A`."""
    value = data.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return None if text in ("", "N/A") else text


def _number(text: str | None) -> float | None:
    """`7.3`, `966,025`; None for text that is not a finite number ("NaN" is not JSON)."""
    if text is None:
        return None
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class OmdbTitle:
    """An OMDb title answer (`i=` or `t=`) with `N/A` turned into None and numbers parsed."""

    imdb_id: str
    title: str
    year: int | None
    kind: str | None
    genre: str | None = None
    language: str | None = None
    plot: str | None = None
    poster: str | None = None
    imdb_rating: float | None = None
    imdb_votes: int | None = None
    ratings: dict[str, str] = field(default_factory=dict)
    total_seasons: int | None = None

    @property
    def is_short(self) -> bool:
        """OMDb files shorts as `movie`; only `Short` in `Genre` tells them from features."""
        return self.genre is not None and "Short" in (g.strip() for g in self.genre.split(","))

    def as_candidate(self) -> SearchCandidate:
        """This title as one of the candidates a verdict weighs."""
        return SearchCandidate(self.imdb_id, self.title, self.year, self.kind, short=self.is_short)


def parse_omdb_title(data: Mapping[str, Any]) -> OmdbTitle:
    """Parse an OMDb success body. `Ratings` is read by `Source`: entries can be missing."""
    imdb_id = _text(data, "imdbID")
    if imdb_id is None:
        raise ValueError("an OMDb title answer without imdbID")
    ratings = {
        str(entry["Source"]): str(entry["Value"])
        for entry in data.get("Ratings") or []
        if entry.get("Source") and entry.get("Value")
    }
    votes = _number(_text(data, "imdbVotes"))
    seasons = _number(_text(data, "totalSeasons"))
    kind = _text(data, "Type")
    return OmdbTitle(
        imdb_id=imdb_id,
        title=_text(data, "Title") or "",
        year=parse_year(_text(data, "Year")),
        kind=kind.lower() if kind else None,
        genre=_text(data, "Genre"),
        language=_text(data, "Language"),
        plot=_text(data, "Plot"),
        poster=_text(data, "Poster"),
        imdb_rating=_number(_text(data, "imdbRating")),
        imdb_votes=int(votes) if votes is not None else None,
        ratings=ratings,
        total_seasons=int(seasons) if seasons is not None else None,
    )


@dataclass(frozen=True)
class SearchCandidate:
    """One hit of an OMDb `s=` search or an IMDb search: enough to pick one and fetch it by ID."""

    imdb_id: str
    title: str
    year: int | None
    kind: str | None
    short: bool = False  # a short film (OMDb and IMDb both type shorts as `movie`)


def parse_omdb_search(data: Mapping[str, Any]) -> tuple[SearchCandidate, ...]:
    """Hits of an `s=` answer, modern or legacy (no `totalResults`, `Response` or `Poster`)."""
    candidates = []
    for hit in data.get("Search") or []:
        imdb_id = _text(hit, "imdbID")
        kind = _text(hit, "Type")
        if imdb_id:
            candidates.append(
                SearchCandidate(
                    imdb_id=imdb_id,
                    title=_text(hit, "Title") or "",
                    year=parse_year(_text(hit, "Year")),
                    kind=kind.lower() if kind else None,
                )
            )
    return tuple(candidates)


def read_answer(status: int, text: str) -> dict[str, Any] | None:
    """OMDb's answer as the dict it sent, None for a not-found style error; raise on the rest.

    Errors come as `{"Response":"False","Error":...}` with 200 (not found, too many results)
    or 401 (key refused, limit reached); a legacy search body has no `Response` key at all.
    """
    try:
        body = json.loads(text)
    except ValueError:
        if status == 200 and text.lstrip().startswith(_BROKEN_ERROR_PREFIX):
            return None
        raise UpstreamUnavailable(f"OMDb answered {status} with a body that is not JSON") from None
    error = body.get("Error") if isinstance(body, dict) else None
    if error in LIMIT_ERRORS:
        raise BudgetExhausted(f"OMDb said {error!r}")
    if status == 401 or error in KEY_ERRORS:
        raise MissingCredential(CREDENTIAL, f"OMDb said {error or 'unauthorized'!r}")
    if status != 200 or not isinstance(body, dict):
        raise UpstreamUnavailable(f"OMDb answered {status} with an unexpected body")
    if body.get("Response") == "False":
        if error in NOT_FOUND_ERRORS:
            return None
        raise UpstreamUnavailable(f"OMDb said {error!r}")
    return body


def title_params(title: str, year: int | None, kind: str | None) -> dict[str, str]:
    """The query of a title lookup (`t`, `y`, `type`): also a stable cache key."""
    return _with_filters({"t": title}, year, kind)


def search_params(query: str, year: int | None, kind: str | None) -> dict[str, str]:
    """The query of a search (`s`, `y`, `type`)."""
    return _with_filters({"s": query}, year, kind)


def _with_filters(params: dict[str, str], year: int | None, kind: str | None) -> dict[str, str]:
    if year is not None:
        params["y"] = str(year)
    if kind is not None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
        params["type"] = kind
    return params


class OmdbClient:
    """Thread-safe: one session and one rate limiter shared by every thread using the client.

    `requests_per_second` limits calls (not retries inside a call); None disables it. The key
    is checked before sending, so a missing one never costs a call; it never appears in an
    error message or log line.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        policy: HttpPolicy | None = None,
        requests_per_second: float | None = 20.0,
    ) -> None:
        self.base_url = base_url
        self._api_key = api_key
        self._session = build_session(policy or HttpPolicy())
        self._limiter = _limiter(requests_per_second)

    def by_id(self, *, imdb_id: str) -> dict[str, Any] | None:
        return self._get({"i": imdb_id})

    def by_title(
        self, *, title: str, year: int | None = None, kind: str | None = None
    ) -> dict[str, Any] | None:
        return self._get(title_params(title, year, kind))

    def search(
        self, *, query: str, year: int | None = None, kind: str | None = None
    ) -> list[dict[str, Any]]:
        """The `Search` results as sent; [] for no match or `Too many results.`"""
        body = self._get(search_params(query, year, kind))
        return list(body.get("Search", [])) if body else []

    def close(self) -> None:
        self._session.close()
        if self._limiter is not None:
            self._limiter.close()

    def _get(self, params: dict[str, str]) -> dict[str, Any] | None:
        if not self._api_key:
            raise MissingCredential(CREDENTIAL, "it is not set")
        if self._limiter is not None:
            self._limiter.try_acquire("omdb")
        answer = send_get(
            self._session,
            self.base_url,
            upstream="OMDb",
            params={"apikey": self._api_key, **params},
        )
        return read_answer(answer.status, answer.text)


def _limiter(requests_per_second: float | None) -> Limiter | None:
    """A blocking limiter of `requests_per_second` (fractions allowed: 0.5 = 1 call per 2 s).

    A caller that must wait sleeps until a call leaves the window, plus `buffer_ms`. The
    library's 50 ms cost a 20/s run about 5% of its calls; 10 ms costs 2% and still kept
    every real one-second window at 20 calls, with 8 threads (measured).
    """
    if requests_per_second is None:
        return None
    if requests_per_second <= 0:
        raise ValueError("requests_per_second must be positive")
    calls = max(1, round(requests_per_second))
    return Limiter(Rate(calls, round(calls * 1000 / requests_per_second)), buffer_ms=10)
