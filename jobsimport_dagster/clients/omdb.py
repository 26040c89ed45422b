"""OMDb client: title, ID and search lookups; OMDb's error bodies become results or errors."""

from __future__ import annotations

import json
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
    """A blocking limiter of `requests_per_second` (fractions allowed: 0.5 = 1 call per 2 s)."""
    if requests_per_second is None:
        return None
    if requests_per_second <= 0:
        raise ValueError("requests_per_second must be positive")
    calls = max(1, round(requests_per_second))
    return Limiter(Rate(calls, round(calls * 1000 / requests_per_second)))
