"""Enrichment: the provider chain and the match verdict of every row (SPEC §7, §12).

A record posted can never be taken back, so no row is posted on a guess: a title is taken
when the row names it (`given_id`), when the user chose it before (`remembered`), or when its
title key, type and year fit the row and no other candidate seen fits as well (`verified`).
Anything else fails `ambiguous_match` with the candidates for the user to choose from.
"""

from __future__ import annotations

import functools
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Connection, Engine

from jobsimport_dagster.clients.imdb import parse_imdb_search
from jobsimport_dagster.clients.omdb import (
    Kind,
    OmdbTitle,
    SearchCandidate,
    parse_omdb_search,
    parse_omdb_title,
)
from jobsimport_dagster.codes import RowCode, RowStatus
from jobsimport_dagster.db import choices, claims
from jobsimport_dagster.db.choices import ChoiceKey
from jobsimport_dagster.errors import UpstreamError
from jobsimport_dagster.models import RowOutcome, StepSummary
from jobsimport_dagster.steps.lookups import CachedLookups
from jobsimport_dagster.steps.normalize import fold_text, normalize_title

YEAR_TOLERANCE = 1
# Candidates kept as a verdict's evidence; the failed-rows CSV shows the first three.
KEPT_CANDIDATES = 10


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


class MatchVerdict(StrEnum):
    """Why a title was taken for a row, or that none could be (SPEC §12)."""

    GIVEN_ID = "given_id"
    REMEMBERED = "remembered"
    VERIFIED = "verified"
    AMBIGUOUS = "ambiguous_match"


_KIND_BY_IMPORT_TYPE = {"movies": Kind.MOVIE, "shows": Kind.SERIES}


def kind_for(import_type: str) -> Kind:
    """The OMDb type an import of `movies` or `shows` looks for."""
    return _KIND_BY_IMPORT_TYPE[import_type]


# Leading articles of the languages users log films in (English, French, German, Spanish,
# Italian): Letterboxd writes "The Matrix", lists write "Matrix, The", a user types "Matrix".
ARTICLES = frozenset(
    ("the", "a", "an", "le", "la", "les", "l", "der", "die", "das", "ein", "eine", "el", "los",
     "las", "un", "une", "una", "il", "lo", "gli")
)  # fmt: skip
# Sequel numbers: "Rocky II" is "Rocky 2". Only after the first word ("I, Robot" stays).
_NUMERALS = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii",
             "xiv", "xv", "xvi", "xvii", "xviii", "xix", "xx")  # fmt: skip
_ROMAN = {numeral: str(value) for value, numeral in enumerate(_NUMERALS, 1)}
_TRAILING_ARTICLE = re.compile(r"^(?P<rest>.+),\s*(?P<article>\w+)$")
_ELIDED_ARTICLE = re.compile(r"^l['\u2019]")  # "L'Avventura"
_JOINED = re.compile(r"[.'\u2019]")  # "A.I.", "Ocean's": one word, not two
_WORDS = re.compile(r"[^\W_]+")


@functools.lru_cache(maxsize=65536)
def title_match_key(title: str) -> str:
    """A title reduced to its letters and digits for comparing titles across providers.

    Case and accents are ignored ("Amelie" is "Amélie"), punctuation and separators too
    ("WALL·E" is "WALL-E", "Airplane!" is "airplane"), `&` is "and", one leading article is
    dropped in the common languages ("The Matrix", "Matrix, The", "Les Misérables") and roman
    sequel numbers are arabic ("Rocky II" is "Rocky 2"). Cached: every catalogue title is keyed
    by dedupe and again by insert, and rows repeat titles.
    """
    text = fold_text(normalize_title(title)).replace("&", " and ")
    moved = _TRAILING_ARTICLE.match(text)
    if moved and moved["article"] in ARTICLES:
        text = f"{moved['article']} {moved['rest']}"
    words = _WORDS.findall(_JOINED.sub("", _ELIDED_ARTICLE.sub("l ", text)))
    if len(words) > 1 and words[0] in ARTICLES:
        words = words[1:]
    return "".join(words[:1] + [_ROMAN.get(word, word) for word in words[1:]])


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
    """Why a candidate is not the row's title, or None when its type and year fit.

    The type must be the one looked for (`t=airplane` alone answers a TV episode, not the film);
    the year must be within one of the file's year when both are known (release vs festival year).
    """
    if candidate.kind != kind:
        return MatchProblem.WRONG_TYPE
    if not _years_agree(candidate.year, year_hint):
        return MatchProblem.YEAR_MISMATCH
    return None


def fit_rank(
    candidate: SearchCandidate, *, query: str, kind: Kind, year_hint: int | None
) -> int | None:
    """How well a candidate fits the row: None when it does not (another title key, type or
    year), else 0 for the row's year (or a row without one), 1 for one year off, 2 when the
    candidate's year is unknown. Lower fits better."""
    if title_match_key(candidate.title) != title_match_key(query):
        return None
    if match_problem(candidate, kind=kind, year_hint=year_hint) is not None:
        return None
    if year_hint is None:
        return 0
    return YEAR_TOLERANCE + 1 if candidate.year is None else abs(candidate.year - year_hint)


@dataclass(frozen=True)
class Judgement:
    """The candidates that fit the row best: one is the winner; two or more are a tie."""

    best: tuple[SearchCandidate, ...]
    rank: int | None = None

    @property
    def winner(self) -> SearchCandidate | None:
        return self.best[0] if len(self.best) == 1 else None


def judge(
    candidates: Iterable[SearchCandidate], *, query: str, kind: Kind, year_hint: int | None
) -> Judgement:
    """The best-fitting candidates (by `fit_rank`, one entry per IMDb ID, in the order seen).

    Without a year in the row, every fitting candidate fits as well as any other: two of them
    (a remake, a UK and a US series) are a tie, never a guess.
    """
    ranks: dict[str, tuple[int, SearchCandidate]] = {}
    for candidate in candidates:
        rank = fit_rank(candidate, query=query, kind=kind, year_hint=year_hint)
        if rank is not None and rank < ranks.get(candidate.imdb_id, (rank + 1,))[0]:
            ranks[candidate.imdb_id] = (rank, candidate)
    if not ranks:
        return Judgement(best=())
    best = min(rank for rank, _ in ranks.values())
    return Judgement(best=tuple(c for rank, c in ranks.values() if rank == best), rank=best)


def describe(candidate: SearchCandidate) -> str:
    """`tt… Title (Year, type)`: a candidate as the user reads it (SPEC §12)."""
    kind = "short" if candidate.short else candidate.kind or "unknown type"
    return f"{candidate.imdb_id} {candidate.title} ({candidate.year or 'year unknown'}, {kind})"


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

    def start_imdb_search(self, query: str) -> Callable[[], Mapping[str, Any] | None]:
        """Start IMDb's search for `query`; the function returned gives its answer (waiting
        for it) or raises its error. The chain starts it beside OMDb's `t=`, which it needs
        nothing from, so a row's two first lookups cost one round trip of time, not two."""
        ...


@dataclass(frozen=True)
class EnrichResult:
    """The chain's answer: an accepted title with its verdict, or a failure with a message.

    `verdict` is the evidence stored as `match_verdict` (SPEC §12): the verdict, the route,
    why the winner won (or why none could) and the candidates seen, best first.
    """

    match: OmdbTitle | None
    route: Route | None = None
    code: RowCode | None = None
    message: str | None = None
    wrong_kind: str | None = None
    omdb_lookups: int = 0
    imdb_lookups: int = 0
    verdict: dict[str, Any] | None = None

    @property
    def outcome(self) -> RowOutcome | None:
        """The row's failed outcome, or None when a title was accepted."""
        if self.match is not None or self.code is None:
            return None
        return RowOutcome(RowStatus.FAILED, self.code, self.message)


def _found(answer: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The answer, or None for not found; OMDb's error bodies (`"Response": "False"`) too."""
    return None if answer is None or answer.get("Response") == "False" else answer


def _year_text(year: int | None) -> str:
    return f" ({year})" if year is not None else ""


class _Chain:
    """One row's walk along the providers: the candidates seen, the calls made, the verdict.

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
        self.titles: dict[str, OmdbTitle] = {}  # OMDb's full answers, by IMDb ID
        self.seen: dict[str, SearchCandidate] = {}  # every candidate, by IMDb ID, in order
        self.found_by: dict[str, Route] = {}
        self.refused: set[str] = set()  # IDs whose OMDb record does not fit after all
        self.other_titles: list[OmdbTitle] = []  # OMDb `t=` answers with another title
        self.wrong_type: OmdbTitle | SearchCandidate | None = None
        self.right_kind_seen = False

    # -- lookups --------------------------------------------------------------------------------

    def fetch(self, imdb_id: str) -> OmdbTitle | None:
        """OMDb `i=`, once per row: an ID already answered (say, by `t=`) is not fetched again."""
        if imdb_id in self.titles:
            return self.titles[imdb_id]
        if imdb_id in self.refused:
            return None
        self.omdb_lookups += 1
        found = _found(self.lookups.omdb_by_id(imdb_id))
        if found is None:
            self.refused.add(imdb_id)
            return None
        title = parse_omdb_title(found)
        self.titles[title.imdb_id] = title
        return title

    def by_title(self, year: int | None) -> None:
        self.omdb_lookups += 1
        found = _found(self.lookups.omdb_by_title(self.query, year=year, kind=self.kind))
        if found is None:
            return
        title = parse_omdb_title(found)
        self.titles[title.imdb_id] = title
        self.see((title.as_candidate(),), Route.OMDB_TITLE)
        if title_match_key(title.title) != title_match_key(self.query):
            self.other_titles.append(title)

    def by_omdb_search(self) -> None:
        self.omdb_lookups += 1
        answer = _found(self.lookups.omdb_search(self.query, year=self.year_hint, kind=self.kind))
        if answer is not None:
            self.see(parse_omdb_search(answer), Route.OMDB_SEARCH)

    def by_imdb_search(self, started: Callable[[], Mapping[str, Any] | None]) -> None:
        self.imdb_lookups += 1
        answer = started()
        if answer is not None:
            self.see(parse_imdb_search(answer), Route.IMDB_SEARCH)

    def see(self, candidates: Iterable[SearchCandidate], route: Route) -> None:
        """Keep candidates as evidence, and note the types the row's title and year come in."""
        for candidate in candidates:
            self.seen.setdefault(candidate.imdb_id, candidate)
            self.found_by.setdefault(candidate.imdb_id, route)
            self.note(candidate)

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

    # -- verdicts -------------------------------------------------------------------------------

    def named(self, imdb_id: str, verdict: MatchVerdict) -> EnrichResult:
        """The title the row names (or the user chose before): checked for type only, as the
        ID is the user's word; if OMDb does not know it or it is of another type, the row
        fails rather than matching something else."""
        title = self.fetch(imdb_id)
        if title is None:
            whose = "given" if verdict is MatchVerdict.GIVEN_ID else "chosen before"
            return self.failure(
                RowCode.NOT_FOUND,
                f"OMDb has no title with IMDb ID {imdb_id} ({whose} for '{self.query}').",
            )
        if match_problem(title, kind=self.kind, year_hint=None) is not None:
            self.note(title, named=True)
            return self.wrong_type_result()
        reason = (
            f"The row names {imdb_id}."
            if verdict is MatchVerdict.GIVEN_ID
            else f"You chose {imdb_id} for '{self.query}'{_year_text(self.year_hint)} before."
        )
        self.see((title.as_candidate(),), Route.IMDB_ID)
        return self.accepted(title, verdict, Route.IMDB_ID, reason)

    def search(self) -> EnrichResult:
        """OMDb `t=` with the row's year (the one call a film should cost) and, beside it,
        IMDb's search as the second opinion (no day budget); only when neither gives a fitting
        title, OMDb around the year and OMDb's search (extra calls, counted)."""
        around = (
            []
            if self.year_hint is None
            else [
                functools.partial(self.by_title, self.year_hint - YEAR_TOLERANCE),
                functools.partial(self.by_title, self.year_hint + YEAR_TOLERANCE),
            ]
        )
        second_opinion = self.lookups.start_imdb_search(self.query)
        self.by_title(self.year_hint)
        imdb_search = functools.partial(self.by_imdb_search, second_opinion)
        for step in (imdb_search, *around, self.by_omdb_search):
            step()
            result = self.decide()
            if result is not None:
                return result
        return self.unmatched()

    def decide(self) -> EnrichResult | None:
        """A verdict from the candidates seen so far, or None to look further.

        The unique best-fitting candidate is fetched from OMDb if only a search named it (an
        extra call) and wins if OMDb's record fits too; a tie fails `ambiguous_match`.
        """
        while True:
            usable = [c for i, c in self.seen.items() if i not in self.refused]
            judgement = judge(usable, query=self.query, kind=self.kind, year_hint=self.year_hint)
            if not judgement.best:
                return None
            winner = judgement.winner
            if winner is None:
                return self.tie(judgement)
            title = self.fetch(winner.imdb_id)
            if title is None:
                continue
            fetched = title.as_candidate()
            rank = fit_rank(fetched, query=self.query, kind=self.kind, year_hint=self.year_hint)
            if rank is None:
                self.refused.add(title.imdb_id)
                self.seen[title.imdb_id] = fetched
                self.note(title)
                continue
            others = len(self.seen) - 1
            reason = (
                f"Only {describe(fetched)} has the row's title and type "
                f"{self._year_fit(judgement.rank)}; {others} other candidate"
                f"{'' if others == 1 else 's'} seen."
            )
            route = self.found_by[winner.imdb_id]
            return self.accepted(title, MatchVerdict.VERIFIED, route, reason)

    def _year_fit(self, rank: int | None) -> str:
        if self.year_hint is None:
            return "(the row gives no year)"
        if rank == 0:
            return f"and the row's year {self.year_hint}"
        if rank == YEAR_TOLERANCE:
            return f"within a year of the row's {self.year_hint}"
        return f"(its year is unknown; the row says {self.year_hint})"

    def tie(self, judgement: Judgement) -> EnrichResult:
        names = "; ".join(describe(c) for c in judgement.best[:3])
        why = (
            "the row has no year to tell them apart"
            if self.year_hint is None
            else "nothing tells them apart"
        )
        return self.failure(
            RowCode.AMBIGUOUS_MATCH,
            f"{len(judgement.best)} titles fit '{self.query}'{_year_text(self.year_hint)} "
            f"and {why}: {names}. Fill in the IMDb ID of the right one.",
            verdict=self.evidence(
                MatchVerdict.AMBIGUOUS, None, f"A tie: {why}.", first=judgement.best
            ),
        )

    def unmatched(self) -> EnrichResult:
        """No candidate fits: `wrong_type` when the title came only in another type, else
        `ambiguous_match` when OMDb answered another title (the user may know it is the one),
        else `not_found`."""
        if self.wrong_type is not None and not self.right_kind_seen:
            return self.wrong_type_result()
        if self.other_titles:
            answer = self.other_titles[0]
            reason = (
                f"OMDb answered {describe(answer.as_candidate())} for '{self.query}'"
                f"{_year_text(self.year_hint)}: another title, and no candidate has the row's."
            )
            return self.failure(
                RowCode.AMBIGUOUS_MATCH,
                f"{reason} Fill in the IMDb ID if it is the one.",
                verdict=self.evidence(
                    MatchVerdict.AMBIGUOUS,
                    None,
                    reason,
                    first=[t.as_candidate() for t in self.other_titles],
                ),
            )
        return self.failure(
            RowCode.NOT_FOUND,
            f"No {self.kind} matching '{self.query}'{_year_text(self.year_hint)} was found on "
            "OMDb or IMDb.",
        )

    def wrong_type_result(self) -> EnrichResult:
        found = self.wrong_type
        assert found is not None
        return self.failure(
            RowCode.WRONG_TYPE,
            f"'{self.query}' was found only as {found.kind or 'an untyped title'} "
            f"{found.imdb_id}, not as a {self.kind}.",
            wrong_kind=found.kind,
        )

    def evidence(
        self,
        verdict: MatchVerdict,
        route: Route | None,
        reason: str,
        *,
        first: Iterable[SearchCandidate] = (),
    ) -> dict[str, Any]:
        """The `match_verdict` stored with the row: `first` leads the candidates seen."""
        ordered = {c.imdb_id: c for c in first}
        for imdb_id, candidate in self.seen.items():
            ordered.setdefault(imdb_id, candidate)
        return {
            "verdict": str(verdict),
            "route": None if route is None else str(route),
            "reason": reason,
            "candidates": [asdict(c) for c in list(ordered.values())[:KEPT_CANDIDATES]],
            "omdb_lookups": self.omdb_lookups,
            "imdb_lookups": self.imdb_lookups,
        }

    def accepted(
        self, title: OmdbTitle, verdict: MatchVerdict, route: Route, reason: str
    ) -> EnrichResult:
        return EnrichResult(
            match=title,
            route=route,
            omdb_lookups=self.omdb_lookups,
            imdb_lookups=self.imdb_lookups,
            verdict=self.evidence(verdict, route, reason, first=[title.as_candidate()]),
        )

    def failure(
        self,
        code: RowCode,
        message: str,
        *,
        verdict: dict[str, Any] | None = None,
        wrong_kind: str | None = None,
    ) -> EnrichResult:
        return EnrichResult(
            match=None,
            code=code,
            message=message,
            wrong_kind=wrong_kind,
            omdb_lookups=self.omdb_lookups,
            imdb_lookups=self.imdb_lookups,
            verdict=verdict,
        )


def enrich_seed(
    seed: Mapping[str, Any], *, kind: Kind, lookups: Lookups, remembered: str | None = None
) -> EnrichResult:
    """The row's title and verdict: its own IMDb ID (`given_id`), else the user's earlier
    choice (`remembered`), else the search (`verified` or `ambiguous_match`, SPEC §12)."""
    query = str(seed["show"] if kind is Kind.SERIES else seed["title"])
    chain = _Chain(lookups, query=query, kind=kind, year_hint=seed.get("year"))
    if seed.get("imdb_id"):
        return chain.named(str(seed["imdb_id"]), MatchVerdict.GIVEN_ID)
    if remembered:
        return chain.named(remembered, MatchVerdict.REMEMBERED)
    return chain.search()


def choice_keys(seed: Mapping[str, Any], import_type: str) -> list[ChoiceKey]:
    """Where a user's choice for this row is remembered: its Letterboxd URI (if any), then its
    source title + year (SPEC §12)."""
    title = str(seed["show"] if import_type == "shows" else seed["title"])
    keys = [(import_type, f"title:{title_match_key(title)}|{seed.get('year') or ''}")]
    if seed.get("source_uri"):
        keys.insert(0, (import_type, f"uri:{seed['source_uri']}"))
    return keys


class Enrichment:
    """A run's enrichment, one row at a time as the workers take them. Thread-safe.

    `read_seeds` runs ahead of the workers on a chunk (its payloads, its remembered choices,
    the cached answers to its first lookups, the OMDb calls it will need leased); `enrich`
    walks one row along the provider chain. Budget and upstream failures fail the row with
    their retryable code; a missing or refused key raises and so stops the run (rows not taken
    stay `pending`). IDs users give are remembered by `write_choices`.
    """

    def __init__(self, engine: Engine, *, import_type: str, lookups: CachedLookups) -> None:
        self._engine = engine
        self._import_type = import_type
        self._kind = kind_for(import_type)
        self._lookups = lookups
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._rows_in = 0
        self._extra_omdb_lookups = 0
        self._remembered: dict[uuid.UUID, str] = {}
        self._new_choices: dict[ChoiceKey, str] = {}

    def read_seeds(self, chunk: list[claims.OpenRow]) -> list[claims.ClaimedRow]:
        """The chunk's payloads and remembered choices; their cached answers read and their
        OMDb calls leased."""
        if not chunk:
            return []
        with self._engine.connect() as conn:
            payloads = claims.payloads_of(conn, [r.id for r in chunk])
            seeded = [r.with_payload(payloads.get(r.id)) for r in chunk]
            asking = {
                r.id: choice_keys(r.normalized_payload, self._import_type)
                for r in seeded
                if not r.normalized_payload.get("imdb_id")
            }
            known = choices.get_choices(conn, [k for keys in asking.values() for k in keys])
        remembered = {
            row_id: next(known[k] for k in keys if k in known)
            for row_id, keys in asking.items()
            if any(k in known for k in keys)
        }
        with self._lock:
            self._remembered.update(remembered)
        self._lookups.prepare(
            [(r.normalized_payload, remembered.get(r.id)) for r in seeded], self._kind
        )
        return seeded

    def enrich(self, row: claims.ClaimedRow) -> claims.ClaimedRow | claims.RowUpdate:
        """The row with the accepted title in its payload (`match`, `route`, `match_verdict`),
        or its failure (an `ambiguous_match` keeps its `match_verdict` with the candidates)."""
        seed = row.normalized_payload
        with self._lock:
            remembered = self._remembered.pop(row.id, None)
        try:
            result = enrich_seed(
                seed, kind=self._kind, lookups=self._lookups, remembered=remembered
            )
        except UpstreamError as error:
            result = EnrichResult(match=None, code=error.code, message=str(error))
        outcome = result.outcome
        verdict = result.verdict or {}
        with self._lock:
            self._rows_in += 1
            name = str(outcome.code) if outcome is not None else str(verdict.get("verdict"))
            self._counts[name] = self._counts.get(name, 0) + 1
            self._extra_omdb_lookups += max(0, result.omdb_lookups - 1)
            if verdict.get("verdict") == MatchVerdict.GIVEN_ID and result.match is not None:
                for key in choice_keys(seed, self._import_type):
                    self._new_choices[key] = result.match.imdb_id
        if outcome is not None:
            return claims.RowUpdate(
                id=row.id,
                status=outcome.status,
                error_code=outcome.code,
                error_message=outcome.message,
                normalized_payload={**seed, "match_verdict": verdict} if verdict else None,
            )
        assert result.match is not None
        payload = {
            **seed,
            "match": asdict(result.match),
            "route": str(result.route),
            "match_verdict": verdict,
        }
        return replace(row, normalized_payload=payload)

    def write_choices(self, conn: Connection) -> None:
        """Remember the IDs users gave since the last write (in the caller's transaction)."""
        with self._lock:
            new, self._new_choices = self._new_choices, {}
        choices.put_choices(conn, new)

    def summary(self, seconds: float) -> StepSummary:
        with self._lock:
            counts = dict(self._counts)
            rows_in = self._rows_in
            extra_lookups = self._extra_omdb_lookups
        return StepSummary(
            step="enrich",
            rows_in=rows_in,
            counts=counts,
            seconds=seconds,
            extra={
                "omdb_calls": self._lookups.omdb_calls,
                "imdb_calls": self._lookups.imdb_calls,
                "cache_hits": self._lookups.cache_hits,
                "omdb_extra_lookups": extra_lookups,
            },
        )
