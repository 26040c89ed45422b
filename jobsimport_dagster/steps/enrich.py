"""Enrichment: OMDb answers parsed, matches accepted or refused, the provider chain (SPEC §7)."""

from __future__ import annotations

import functools
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Engine

from jobsimport_dagster.clients.imdb import parse_imdb_search
from jobsimport_dagster.clients.omdb import (
    Kind,
    OmdbTitle,
    SearchCandidate,
    parse_omdb_search,
    parse_omdb_title,
)
from jobsimport_dagster.codes import RowCode, RowStatus
from jobsimport_dagster.db import claims
from jobsimport_dagster.errors import UpstreamError
from jobsimport_dagster.models import RowOutcome, StepSummary
from jobsimport_dagster.steps.lookups import CachedLookups
from jobsimport_dagster.steps.normalize import normalize_title

YEAR_TOLERANCE = 1


class MatchProblem(StrEnum):
    """Why a candidate is not the row's title."""

    WRONG_TYPE = "wrong_type"
    YEAR_MISMATCH = "year_mismatch"


class Route(StrEnum):
    """Which link of the provider chain found the accepted title."""

    IMDB_ID = "imdb_id"
    OMDB_TITLE = "omdb_title"
    OMDB_SEARCH = "omdb_search"
    IMDB_SEARCH = "imdb_search"


_KIND_BY_IMPORT_TYPE = {"movies": Kind.MOVIE, "shows": Kind.SERIES}


def kind_for(import_type: str) -> Kind:
    """The OMDb type an import of `movies` or `shows` looks for."""
    return _KIND_BY_IMPORT_TYPE[import_type]


@functools.lru_cache(maxsize=65536)
def title_match_key(title: str) -> str:
    """A title reduced to its letters and digits, accents dropped, for comparing titles.

    Users type "airplane" where OMDb says "Airplane!", "Amelie" for "Amélie" and "Spiderman"
    for "Spider-Man"; comparing these keys lets such pairs count as the same title. Cached:
    every catalogue title is keyed by dedupe and again by insert, and rows repeat titles.
    """
    decomposed = unicodedata.normalize("NFKD", normalize_title(title))
    return "".join(ch for ch in decomposed if ch.isalnum())


class Candidate(Protocol):
    """What acceptance reads from an OMDb title or a search hit."""

    @property
    def kind(self) -> str | None: ...

    @property
    def year(self) -> int | None: ...


def _years_agree(year: int | None, year_hint: int | None) -> bool:
    return year is None or year_hint is None or abs(year - year_hint) <= YEAR_TOLERANCE


def match_problem(
    candidate: Candidate, *, kind: Kind, year_hint: int | None
) -> MatchProblem | None:
    """Why a candidate is not the row's title, or None when it is acceptable.

    The type must be the one looked for (`t=airplane` alone answers a TV episode, not the film);
    the year must be within one of the file's year when both are known (release vs festival year).
    """
    if candidate.kind != kind:
        return MatchProblem.WRONG_TYPE
    if not _years_agree(candidate.year, year_hint):
        return MatchProblem.YEAR_MISMATCH
    return None


def is_acceptable_match(candidate: Candidate, *, kind: Kind, year_hint: int | None) -> bool:
    return match_problem(candidate, kind=kind, year_hint=year_hint) is None


def pick_candidate(
    candidates: Iterable[SearchCandidate], *, query: str, kind: Kind, year_hint: int | None
) -> SearchCandidate | None:
    """The search hit most likely to be the row's title, or None.

    Only acceptable hits count. One whose title equals the query (ignoring case, accents and
    punctuation) wins, then the closest year, then the provider's order. A hit with another
    title is taken only when the file gave a year it matches: without one it is a guess.
    """
    query_key = title_match_key(query)
    ranked = []
    for position, candidate in enumerate(candidates):
        if not is_acceptable_match(candidate, kind=kind, year_hint=year_hint):
            continue
        same_title = title_match_key(candidate.title) == query_key
        if year_hint is not None and candidate.year is not None:
            distance = abs(candidate.year - year_hint)
        elif same_title:
            distance = YEAR_TOLERANCE + 1  # an unknown year ranks after every known one
        else:
            continue
        ranked.append((not same_title, distance, position, candidate))
    return min(ranked, key=lambda entry: entry[:3])[3] if ranked else None


class Lookups(Protocol):
    """The provider calls the chain makes; None means "not found". Errors propagate unchanged.

    The I/O layer implements it over the cache, the OMDb budget and the HTTP clients, raising
    `BudgetExhausted`, `UpstreamUnavailable` or `MissingCredential`.
    """

    def omdb_by_id(self, imdb_id: str) -> Mapping[str, Any] | None: ...

    def omdb_by_title(
        self, title: str, *, year: int | None, kind: Kind
    ) -> Mapping[str, Any] | None: ...

    def omdb_search(
        self, query: str, *, year: int | None, kind: Kind
    ) -> Mapping[str, Any] | None: ...

    def imdb_search(self, query: str) -> Mapping[str, Any] | None: ...


@dataclass(frozen=True)
class EnrichResult:
    """The chain's answer: an accepted title, or `not_found`/`wrong_type` with a message."""

    match: OmdbTitle | None
    route: Route | None = None
    code: RowCode | None = None
    message: str | None = None
    wrong_kind: str | None = None
    omdb_lookups: int = 0
    imdb_lookups: int = 0

    @property
    def outcome(self) -> RowOutcome | None:
        """The row's failed outcome, or None when a title was accepted."""
        if self.match is not None or self.code is None:
            return None
        return RowOutcome(RowStatus.FAILED, self.code, self.message)


def _found(answer: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The answer, or None for not found; OMDb's error bodies (`"Response": "False"`) too."""
    return None if answer is None or answer.get("Response") == "False" else answer


class _Chain:
    """One row's walk along the providers, counting calls and keeping wrong-type evidence.

    The row is `wrong_type` only when its title and year were seen with another type and never
    with the one looked for: a show "The Flash" is not wrong_type because a film of that name
    exists, but a "One Day (2024)" logged as a film is, though a film "One Day (2011)" exists.
    """

    def __init__(self, lookups: Lookups, *, query: str, kind: Kind, year_hint: int | None):
        self.lookups = lookups
        self.query = query
        self.kind = kind
        self.year_hint = year_hint
        self.omdb_lookups = 0
        self.imdb_lookups = 0
        self.fetched_ids: set[str] = set()
        self.wrong_type: OmdbTitle | SearchCandidate | None = None
        self.right_kind_seen = False

    def accept(
        self, answer: Mapping[str, Any] | None, *, given_id: bool = False
    ) -> OmdbTitle | None:
        """The answer if acceptable, else noted as evidence.

        A title the user named by IMDb ID is checked for type only: the ID is their word.
        """
        found = _found(answer)
        if found is None:
            return None
        title = parse_omdb_title(found)
        problem = match_problem(
            title, kind=self.kind, year_hint=None if given_id else self.year_hint
        )
        if problem is None:
            return title
        self.note(title, named=given_id)
        return None

    def note(self, found: OmdbTitle | SearchCandidate, *, named: bool = False) -> None:
        """Remember the types the row's title and year (or its given IMDb ID) were seen with."""
        if not named and (
            title_match_key(found.title) != title_match_key(self.query)
            or not _years_agree(found.year, self.year_hint)
        ):
            return
        if found.kind == self.kind:
            self.right_kind_seen = True
        elif self.wrong_type is None:
            self.wrong_type = found

    def by_id(self, imdb_id: str, *, given_id: bool = False) -> OmdbTitle | None:
        """OMDb `i=`, once per row: an ID already judged (say, the `t=` answer) is not refetched."""
        if imdb_id in self.fetched_ids:
            return None
        self.fetched_ids.add(imdb_id)
        self.omdb_lookups += 1
        return self.accept(self.lookups.omdb_by_id(imdb_id), given_id=given_id)

    def by_title(self) -> OmdbTitle | None:
        years = [self.year_hint]
        if self.year_hint is not None:
            years += [self.year_hint - YEAR_TOLERANCE, self.year_hint + YEAR_TOLERANCE]
        for year in years:
            self.omdb_lookups += 1
            answer = _found(self.lookups.omdb_by_title(self.query, year=year, kind=self.kind))
            if answer is not None:
                self.fetched_ids.add(str(answer.get("imdbID")))
            title = self.accept(answer)
            if title is not None:
                return title
        return None

    def from_candidates(self, candidates: tuple[SearchCandidate, ...]) -> OmdbTitle | None:
        for candidate in candidates:
            self.note(candidate)
        picked = pick_candidate(
            candidates, query=self.query, kind=self.kind, year_hint=self.year_hint
        )
        return self.by_id(picked.imdb_id) if picked is not None else None

    def by_omdb_search(self) -> OmdbTitle | None:
        self.omdb_lookups += 1
        answer = _found(self.lookups.omdb_search(self.query, year=self.year_hint, kind=self.kind))
        return self.from_candidates(parse_omdb_search(answer)) if answer is not None else None

    def by_imdb_search(self) -> OmdbTitle | None:
        self.imdb_lookups += 1
        answer = self.lookups.imdb_search(self.query)
        return self.from_candidates(parse_imdb_search(answer)) if answer is not None else None

    def result(self, match: OmdbTitle | None, route: Route | None) -> EnrichResult:
        counts = {"omdb_lookups": self.omdb_lookups, "imdb_lookups": self.imdb_lookups}
        if match is not None:
            return EnrichResult(match=match, route=route, **counts)
        if self.wrong_type is not None and not self.right_kind_seen:
            found = self.wrong_type
            return EnrichResult(
                match=None,
                code=RowCode.WRONG_TYPE,
                message=(
                    f"'{self.query}' was found only as {found.kind or 'an untyped title'} "
                    f"{found.imdb_id}, not as a {self.kind}."
                ),
                wrong_kind=found.kind,
                **counts,
            )
        year = f" ({self.year_hint})" if self.year_hint is not None else ""
        return EnrichResult(
            match=None,
            code=RowCode.NOT_FOUND,
            message=f"No {self.kind} matching '{self.query}'{year} was found on OMDb or IMDb.",
            **counts,
        )


def enrich_seed(seed: Mapping[str, Any], *, kind: Kind, lookups: Lookups) -> EnrichResult:
    """Find the row's title: its IMDb ID, else OMDb by title (year, year-1, year+1), OMDb search,
    then IMDb search; every answer passes `match_problem` before it is taken.

    A given IMDb ID is the user's choice and bypasses search: if OMDb does not know it or it is
    of the wrong type, the row fails rather than matching something else.
    """
    query = str(seed["show"] if kind is Kind.SERIES else seed["title"])
    chain = _Chain(lookups, query=query, kind=kind, year_hint=seed.get("year"))
    imdb_id = seed.get("imdb_id")
    if imdb_id:
        match = chain.by_id(imdb_id, given_id=True)
        if match is not None or chain.wrong_type is not None:
            return chain.result(match, Route.IMDB_ID)
        return EnrichResult(
            match=None,
            code=RowCode.NOT_FOUND,
            message=f"OMDb has no title with IMDb ID {imdb_id} (given for '{query}').",
            omdb_lookups=chain.omdb_lookups,
        )
    for route, step in (
        (Route.OMDB_TITLE, chain.by_title),
        (Route.OMDB_SEARCH, chain.by_omdb_search),
        (Route.IMDB_SEARCH, chain.by_imdb_search),
    ):
        match = step()
        if match is not None:
            return chain.result(match, route)
    return chain.result(None, None)


class Enrichment:
    """A run's enrichment, one row at a time as the workers take them. Thread-safe.

    `read_seeds` runs ahead of the workers on a chunk (its payloads, the cached answers to its
    first lookups, the OMDb calls it will need leased); `enrich` walks one row along the
    provider chain. Budget and upstream failures fail the row with their retryable code; a
    missing or refused key raises and so stops the run (rows not taken stay `pending`).
    """

    def __init__(self, engine: Engine, *, import_type: str, lookups: CachedLookups) -> None:
        self._engine = engine
        self._kind = kind_for(import_type)
        self._lookups = lookups
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._rows_in = 0

    def read_seeds(self, chunk: list[claims.OpenRow]) -> list[claims.ClaimedRow]:
        """The chunk's payloads; their cached answers read and their OMDb calls leased."""
        if not chunk:
            return []
        with self._engine.connect() as conn:
            payloads = claims.payloads_of(conn, [r.id for r in chunk])
        seeded = [r.with_payload(payloads.get(r.id)) for r in chunk]
        self._lookups.prepare([r.normalized_payload for r in seeded], self._kind)
        return seeded

    def enrich(self, row: claims.ClaimedRow) -> claims.ClaimedRow | claims.RowUpdate:
        """The row with the accepted title in its payload (`match`, `route`), or its failure."""
        seed = row.normalized_payload
        try:
            result = enrich_seed(seed, kind=self._kind, lookups=self._lookups)
        except UpstreamError as error:
            result = EnrichResult(match=None, code=error.code, message=str(error))
        outcome = result.outcome
        with self._lock:
            self._rows_in += 1
            name = "enriched" if outcome is None else str(outcome.code)
            self._counts[name] = self._counts.get(name, 0) + 1
        if outcome is not None:
            return claims.RowUpdate(
                id=row.id,
                status=outcome.status,
                error_code=outcome.code,
                error_message=outcome.message,
            )
        assert result.match is not None
        payload = {**seed, "match": asdict(result.match), "route": str(result.route)}
        return replace(row, normalized_payload=payload)

    def summary(self, seconds: float) -> StepSummary:
        with self._lock:
            counts = dict(self._counts)
            rows_in = self._rows_in
        return StepSummary(
            step="enrich",
            rows_in=rows_in,
            counts=counts,
            seconds=seconds,
            extra={
                "omdb_calls": self._lookups.omdb_calls,
                "imdb_calls": self._lookups.imdb_calls,
                "cache_hits": self._lookups.cache_hits,
            },
        )
