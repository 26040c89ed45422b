"""Local OMDb: the real fixture answers for their queries, made-up records for any other title."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from jobsimport_dagster.standins.base import Standin
from jobsimport_dagster.standins.faults import Fault, Faults

FIXTURES = Path(__file__).parent / "fixtures"
DEFAULT_API_KEY = "standin-omdb-key"
_JSON = "application/json; charset=utf-8"
_IMDB_ID = re.compile(r"tt\d+")
_NOT_WORD = re.compile(r"[\W_]+")
# OMDb answers `Too many results.` for very short `s=` queries; these behave the same.
_TOO_BROAD = frozenset({"the", "a", "an"})
_SEARCH_FIXTURES = {
    "airplane": "search_airplane_legacy_no_totalResults.json",
    "polar express": "search_polar_express_includes_game_type.json",
    "the polar express": "search_polar_express_includes_game_type.json",
}
_SEARCH_FIELDS = ("Title", "Year", "imdbID", "Type", "Poster")
# IMDb suggestion types (v3 `qid`, legacy `q`) of the films and series OMDb would answer.
_CAPTURED_KINDS = {
    "movie": "movie",
    "feature": "movie",
    "tvSeries": "series",
    "TV series": "series",
}
_SEASON_FIXTURES = {("tt0118480", "1"): "season_stargate_sg1_tt0118480_s1.json"}
_GENRES = (
    "Drama",
    "Comedy",
    "Comedy, Drama",
    "Action, Adventure",
    "Crime, Drama, Thriller",
    "Animation, Adventure, Comedy",
    "Documentary",
    "Horror, Mystery",
    "Drama, Romance",
    "Sci-Fi, Thriller",
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UNSET: Any = object()
EN_DASH = "\u2013"  # OMDb joins series years with an en dash, not a hyphen


def _known(imdb_id: str, title: str, year: str, kind: str, **fields: str) -> dict[str, Any]:
    """A record in OMDb's modern shape for a title the project names (fixtures/SOURCES.md)."""
    record: dict[str, Any] = {
        "Title": title,
        "Year": year,
        "Director": "N/A",
        "Writer": "N/A",
        "Actors": "N/A",
        "Awards": "N/A",
        "Poster": "N/A",
        "Metascore": "N/A",
        **fields,
        "Ratings": [{"Source": "Internet Movie Database", "Value": f"{fields['imdbRating']}/10"}],
        "imdbID": imdb_id,
        "Type": kind,
    }
    if kind == "movie":
        record.update({"DVD": "N/A", "BoxOffice": "N/A", "Production": "N/A", "Website": "N/A"})
    record["Response"] = "True"
    return record


# Titles the project itself names: the templates' example rows (`jobsimport template`) and the
# IMDb ID a user fills in to fix the demo's one failed row. Written for the stand-in from the
# titles' public facts, not captured like the fixtures, so `i=` and `t=` know them.
KNOWN_RECORDS = (
    _known(
        "tt0133093", "The Matrix", "1999", "movie",
        Rated="R", Released="31 Mar 1999", Runtime="136 min", Genre="Action, Sci-Fi",
        Plot="A computer hacker learns that the world he lives in is a simulation.",
        Language="English", Country="United States, Australia", imdbRating="8.7",
        imdbVotes="2,100,000",
    ),
    _known(
        "tt11280740", "Severance", f"2022{EN_DASH}", "series",
        Rated="TV-MA", Released="18 Feb 2022", Runtime="55 min",
        Genre="Drama, Mystery, Sci-Fi",
        Plot="Office workers have their work and private memories surgically divided.",
        Language="English", Country="United States", imdbRating="8.7", imdbVotes="300,000",
        totalSeasons="2",
    ),
    _known(
        "tt0211915", "Amélie", "2001", "movie",
        Rated="R", Released="08 Feb 2002", Runtime="122 min", Genre="Comedy, Romance",
        Plot="A shy waitress in Paris decides to change the lives of those around her.",
        Language="French, Russian, English", Country="France, Germany", imdbRating="8.3",
        imdbVotes="800,000",
    ),
)  # fmt: skip

# The match traps of SPEC §12, each the way OMDb and IMDb really answer: a short and a feature
# of one title and year (OMDb files the short as `movie`, `Short` in `Genre`), `t=` answering
# another title ("Max" gets "Mad Max: Fury Road", "WALL·E" a "Walls Have Ears", "Leon" gets
# "Léon: The Professional"), a remake a year from another (Little Women 2018 and 2019, and
# 1994), a UK and a US series of one name (Shameless). Real titles carry their real IDs; the
# look-alikes that only exist to trap a matcher have made-up IDs starting `tt990`.
TRAP_RECORDS = (
    _known(
        "tt4772188", "Flow", "2024", "movie", Genre="Animation, Adventure, Fantasy",
        Plot="A cat shelters on a boat with other animals after a great flood.",
        Language="None", imdbRating="7.9",
    ),
    _known(
        "tt9900101", "Flow", "2024", "movie", Genre="Animation, Short",
        Plot="A made-up short of the same title and year.", Language="English", imdbRating="6.1",
    ),
    _known(
        "tt3369806", "Max", "2015", "movie", Genre="Adventure, Family",
        Plot="A dog that helped soldiers in Afghanistan returns to the U.S.",
        Language="English", imdbRating="6.8",
    ),
    _known(
        "tt1392190", "Mad Max: Fury Road", "2015", "movie", Genre="Action, Adventure, Sci-Fi",
        Plot="In a post-apocalyptic wasteland, a woman rebels against a tyrannical ruler.",
        Language="English, Russian", imdbRating="8.1",
    ),
    _known(
        "tt0910970", "WALL·E", "2008", "movie", Genre="Animation, Adventure, Family",
        Plot="A robot left to clean an abandoned Earth falls in love.",
        Language="English", imdbRating="8.4",
    ),
    _known(
        "tt9900102", "Walls Have Ears", "2008", "movie", Genre="Documentary",
        Plot="A made-up film OMDb's `t=` answers for WALL·E.", Language="English",
        imdbRating="5.0",
    ),
    _known(
        "tt3281548", "Little Women", "2019", "movie", Genre="Drama, Romance",
        Plot="Jo March reflects back and forth on her life.", Language="English",
        imdbRating="7.8",
    ),
    _known(
        "tt9900103", "Little Women", "2018", "movie", Genre="Drama",
        Plot="A made-up modern retelling a year before.", Language="English", imdbRating="4.6",
    ),
    _known(
        "tt0110367", "Little Women", "1994", "movie", Genre="Drama, Romance",
        Plot="The March sisters grow up during the Civil War.", Language="English",
        imdbRating="7.3",
    ),
    _known(
        "tt0110413", "Léon: The Professional", "1994", "movie", Genre="Action, Crime, Drama",
        Plot="A hitman takes in a girl whose family was killed.", Language="English, Italian",
        imdbRating="8.5",
    ),
    _known(
        "tt1586680", "Shameless", f"2011{EN_DASH}2021", "series", Genre="Comedy, Drama",
        Plot="A scrappy Chicago family and their alcoholic father.", Language="English",
        imdbRating="8.5", totalSeasons="11",
    ),
    _known(
        "tt0377260", "Shameless", f"2004{EN_DASH}2013", "series", Genre="Comedy, Drama",
        Plot="A Manchester family and their alcoholic father.", Language="English",
        imdbRating="8.0", totalSeasons="11",
    ),
)  # fmt: skip
# What `t=` answers for a trap's title (loosely matched) when no year is asked or the record's
# is, and the type asked is the record's: the wrong film of the trap, not the row's. Trap
# titles never get a made-up record: whatever the stand-in does not know of them is not found.
TRAP_ANSWERS = {
    "flow": "tt9900101",
    "max": "tt1392190",
    "wall e": "tt9900102",
    "leon": "tt0110413",
}


def loose_title(text: str) -> str:
    """Case, accents, punctuation and spacing ignored, as OMDb's own title matching does
    (`Airplane!`, `Amelie` for `Amélie`)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def _number(*parts: object) -> int:
    text = "|".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def synthetic_year(title: str, kind: str) -> int:
    """The year a title without one gets: stable per title, between 1950 and 2024."""
    return 1950 + _number("year", kind, loose_title(title)) % 75


def synthetic_imdb_id(title: str, year: int, kind: str) -> str:
    """`tt9` + 7 digits from the title, year and kind; real fixture IDs never start that way."""
    return f"tt9{_number('id', kind, loose_title(title), year) % 10**7:07d}"


def synthesize_record(
    title: str, year: int, kind: str, imdb_id: str | None = None
) -> dict[str, Any]:
    """A modern-shape OMDb record: every value a string, `N/A` where unknown, a `Ratings` list.

    Series get an en dash year range and `totalSeasons` and lack the DVD/BoxOffice keys, as
    the Breakout Kings fixture does. Some records have no poster or rating, as real ones do.
    The IMDb ID is made up unless given.
    """
    imdb_id = imdb_id or synthetic_imdb_id(title, year, kind)
    n = _number("record", imdb_id)
    rating = "N/A" if n % 13 == 0 else f"{3 + (n >> 8) % 60 / 10:.1f}"
    poster = (
        "N/A"
        if n % 7 == 0
        else f"https://m.media-amazon.com/images/M/{imdb_id}_standin._V1_SX300.jpg"
    )
    released = f"{1 + (n >> 20) % 28:02d} {_MONTHS[(n >> 16) % 12]} {year}"
    if kind == "series":
        span = (n >> 40) % 7
        year_text = f"{year}{EN_DASH}" if span == 0 else f"{year}{EN_DASH}{year + span}"
    else:
        year_text = str(year)
    record: dict[str, Any] = {
        "Title": " ".join(title.split()),
        "Year": year_text,
        "Rated": ("PG", "PG-13", "R", "TV-14", "N/A")[(n >> 28) % 5],
        "Released": released,
        "Runtime": f"{(40 if kind == 'series' else 80) + (n >> 24) % 70} min",
        "Genre": _GENRES[(n >> 12) % len(_GENRES)],
        "Director": "N/A",
        "Writer": "N/A",
        "Actors": "N/A",
        "Plot": "A record made up by the local OMDb stand-in.",
        "Language": ("English", "English, French", "Hindi", "Spanish")[(n >> 32) % 4],
        "Country": "United States",
        "Awards": "N/A",
        "Poster": poster,
        "Ratings": []
        if rating == "N/A"
        else [{"Source": "Internet Movie Database", "Value": f"{rating}/10"}],
        "Metascore": "N/A",
        "imdbRating": rating,
        "imdbVotes": f"{100 + (n >> 36) % 900_000:,}",
        "imdbID": imdb_id,
        "Type": kind,
    }
    if kind == "series":
        record["totalSeasons"] = str(1 + (n >> 44) % 8)
    else:
        record.update({"DVD": "N/A", "BoxOffice": "N/A", "Production": "N/A", "Website": "N/A"})
    record["Response"] = "True"
    return record


@dataclass(frozen=True)
class _TitleFixture:
    body: bytes
    title: str
    start_year: int | None
    kind: str


class OmdbFixtures:
    """The real OMDb answers under `standins/fixtures/`, `KNOWN_RECORDS` and `TRAP_RECORDS`,
    indexed by what they answer."""

    def __init__(self, root: Path = FIXTURES) -> None:
        self.root = root
        self.by_id: dict[str, bytes] = {}
        self.titles: list[_TitleFixture] = []
        bodies = [path.read_bytes() for path in sorted(root.glob("*.json"))]
        for body in [*bodies, *(_dump(record) for record in (*KNOWN_RECORDS, *TRAP_RECORDS))]:
            record = json.loads(body)
            if "imdbID" not in record or "Type" not in record:
                continue
            self.by_id[record["imdbID"]] = body
            start = record["Year"][:4]
            self.titles.append(
                _TitleFixture(
                    body,
                    loose_title(record["Title"]),
                    int(start) if start.isdigit() else None,
                    record["Type"],
                )
            )
        self.searches = {q: (root / name).read_bytes() for q, name in _SEARCH_FIXTURES.items()}
        self.trap_answers = {q: self.by_id[imdb_id] for q, imdb_id in TRAP_ANSWERS.items()}
        # The films and series of the real IMDb suggestion captures, so that a title OMDb makes
        # up a record for has the ID IMDb's search gives it (one title, one ID, as upstream).
        self.imdb_titles: dict[tuple[str, str], list[tuple[str, int | None]]] = {}
        for capture in sorted(root.glob("imdb_suggestion/*.json")):
            for entry in json.loads(capture.read_bytes()).get("d", []):
                kind = _CAPTURED_KINDS.get(entry.get("qid") or entry.get("q"))
                if kind is not None and str(entry.get("id", "")).startswith("tt"):
                    self.imdb_titles.setdefault((loose_title(entry["l"]), kind), []).append(
                        (entry["id"], entry.get("y"))
                    )
        self.trap_titles = set(TRAP_ANSWERS) | {loose_title(r["Title"]) for r in TRAP_RECORDS}
        self.seasons = {key: (root / name).read_bytes() for key, name in _SEASON_FIXTURES.items()}

    def error(self, name: str) -> bytes:
        """An `errors/` body, byte for byte (`invalid_json_malformed_id.txt` included)."""
        suffix = ".txt" if name.startswith("invalid_json") else ".json"
        return (self.root / "errors" / f"{name}{suffix}").read_bytes()

    def find_title(self, title: str, year: int | None, kind: str | None) -> bytes | None:
        """The first fixture whose title matches loosely and whose year and type fit the query.

        Files are read in name order, so `t=airplane` alone gets the 1999 TV episode, as on OMDb.
        A trap's title gets the trap's answer (`TRAP_ANSWERS`) when its year and type fit.
        """
        wanted = loose_title(title)
        trap = self.trap_answers.get(wanted)
        if trap is not None:
            record = json.loads(trap)
            if (year is None or record["Year"][:4] == str(year)) and kind in (None, record["Type"]):
                return trap
        for fixture in self.titles:
            if fixture.title != wanted:
                continue
            if year is not None and fixture.start_year != year:
                continue
            if kind is not None and fixture.kind != kind:
                continue
            return fixture.body
        return None

    def imdb_title(self, title: str, year: int | None, kind: str) -> tuple[str, int | None] | None:
        """The (ID, year) IMDb's captures give this title of this type in this year, if any."""
        for imdb_id, known_year in self.imdb_titles.get((loose_title(title), kind), []):
            if year is None or known_year in (None, year):
                return imdb_id, known_year
        return None

    def is_trap(self, title: str) -> bool:
        """True for a trap's title: the stand-in makes up no record for it."""
        return loose_title(title) in self.trap_titles

    def search_known(self, query: str, year: int | None, kind: str | None) -> list[dict[str, Any]]:
        """`s=` hits among the known records: every title holding the query's words."""
        wanted = loose_title(query)
        hits = []
        for fixture in self.titles:
            record = json.loads(fixture.body)
            if wanted not in fixture.title or kind not in (None, fixture.kind):
                continue
            if year is None or fixture.start_year == year:
                hits.append({k: record.get(k, "N/A") for k in _SEARCH_FIELDS})
        return hits


class OmdbStandin(Standin):
    """`GET /?apikey=&t=&i=&s=&y=&type=&Season=` with OMDb's statuses and bodies.

    The daily limit counts answered calls (after the key check) until `reset()`. Titles in
    `not_found` answer `Movie not found!`; any other unknown title gets a synthesized record
    that `i=` then answers the same way.
    """

    name = "omdb"

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        daily_limit: int | None = None,
        not_found: Iterable[str] = (),
        faults: Faults | None = None,
        fixtures: OmdbFixtures | None = None,
    ) -> None:
        self._api_key = api_key
        self._daily_limit = daily_limit
        self._not_found = {loose_title(t) for t in not_found}
        self._calls = 0
        self._synthesized: dict[str, dict[str, Any]] = {}
        self.fixtures = fixtures or OmdbFixtures()
        super().__init__(faults=faults)

    def routes(self) -> list[Route]:
        return [Route("/", self.guarded("GET /", self._answer), methods=["GET"])]

    # -- Python API ---------------------------------------------------------------------------

    def configure(
        self,
        *,
        api_key: str = _UNSET,
        daily_limit: int | None = _UNSET,
        not_found: Iterable[str] = _UNSET,
    ) -> None:
        """Change the accepted key, the daily limit (None: unlimited) or the not-found titles."""
        with self._lock:
            if api_key is not _UNSET:
                self._api_key = str(api_key)
            if daily_limit is not _UNSET:
                if daily_limit is not None and (
                    isinstance(daily_limit, bool)
                    or not isinstance(daily_limit, int)
                    or daily_limit < 0
                ):
                    raise ValueError("daily_limit must be a whole number or null")
                self._daily_limit = daily_limit
            if not_found is not _UNSET:
                if isinstance(not_found, str):
                    raise ValueError("not_found must be a list of titles")
                self._not_found = {loose_title(t) for t in not_found}

    def configure_from(self, values: Mapping[str, Any]) -> None:
        unknown = set(values) - {"api_key", "daily_limit", "not_found"}
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        self.configure(**values)

    def config(self) -> dict[str, Any]:
        with self._lock:
            return {"daily_limit": self._daily_limit, "not_found": sorted(self._not_found)}

    @property
    def calls(self) -> int:
        """Calls answered under the daily limit since the start or the last `reset()`."""
        with self._lock:
            return self._calls

    def _extra_stats(self) -> dict[str, Any]:
        return {"quota_used": self._calls, "daily_limit": self._daily_limit}

    def _reset_state(self) -> None:
        self._calls = 0

    # -- answers ------------------------------------------------------------------------------

    async def _answer(self, request: Request, _: Fault | None) -> Response:
        params = request.query_params
        key = params.get("apikey", "")
        if not key:
            return self._error("no_api_key_provided", 401)
        with self._lock:
            if key != self._api_key:
                return self._error("invalid_api_key", 401)
            if self._daily_limit is not None and self._calls >= self._daily_limit:
                return self._error("request_limit_reached", 401)
            self._calls += 1
        year_text = params.get("y", "").strip()
        year = int(year_text) if year_text.isdigit() else None
        kind = params.get("type", "").strip().lower() or None
        if imdb_id := params.get("i", "").strip():
            body = self._by_id(imdb_id, params.get("Season", "").strip() or None)
        elif title := params.get("t", "").strip():
            body = self._by_title(title, year, kind)
        elif query := params.get("s", "").strip():
            body = self._search(query, year, kind)
        else:
            body = self.fixtures.error("incorrect_imdb_id")
        return Response(body, media_type=_JSON)

    def _error(self, name: str, status: int = 200) -> Response:
        return Response(self.fixtures.error(name), status_code=status, media_type=_JSON)

    def _by_id(self, imdb_id: str, season: str | None) -> bytes:
        if not _IMDB_ID.fullmatch(imdb_id):
            return self.fixtures.error("invalid_json_malformed_id")
        if season is not None:
            return self.fixtures.seasons.get(
                (imdb_id, season), self.fixtures.error("series_or_season_not_found")
            )
        if imdb_id in self.fixtures.by_id:
            return self.fixtures.by_id[imdb_id]
        with self._lock:
            record = self._synthesized.get(imdb_id)
        return _dump(record) if record else self.fixtures.error("incorrect_imdb_id")

    def _by_title(self, title: str, year: int | None, kind: str | None) -> bytes:
        if self._is_not_found(title):
            return self.fixtures.error("movie_not_found")
        fixture = self.fixtures.find_title(title, year, kind)
        if fixture is not None:
            return fixture
        if self.fixtures.is_trap(title):
            return self.fixtures.error("movie_not_found")
        record = self._synthesize(title, year, kind)
        return _dump(record) if record else self.fixtures.error("movie_not_found")

    def _search(self, query: str, year: int | None, kind: str | None) -> bytes:
        loose = loose_title(query)
        if len(loose) < 3 or loose in _TOO_BROAD:
            return self.fixtures.error("too_many_results")
        if self._is_not_found(query):
            return self.fixtures.error("movie_not_found")
        if loose in self.fixtures.searches:
            body = self.fixtures.searches[loose]
            if year is None and kind is None:
                return body
            results = [
                r
                for r in json.loads(body)["Search"]
                if (year is None or r["Year"][:4] == str(year))
                and (kind is None or r["Type"] == kind)
            ]
        elif self.fixtures.is_trap(query):
            results = self.fixtures.search_known(query, year, kind)
        else:
            record = self._synthesize(query, year, kind)
            results = [
                {k: record[k] for k in _SEARCH_FIELDS} for record in ([record] if record else [])
            ]
        if not results:
            return self.fixtures.error("movie_not_found")
        return _dump({"Search": results, "totalResults": str(len(results)), "Response": "True"})

    def _is_not_found(self, title: str) -> bool:
        with self._lock:
            return loose_title(title) in self._not_found

    def _synthesize(self, title: str, year: int | None, kind: str | None) -> dict[str, Any] | None:
        """A movie or series record, remembered so `i=` answers it; None for other types."""
        kind = kind or "movie"
        if kind not in ("movie", "series"):
            return None
        known = self.fixtures.imdb_title(title, year, kind)
        if known is not None:
            imdb_id, year = known[0], year or known[1] or synthetic_year(title, kind)
        else:
            year = year if year is not None else synthetic_year(title, kind)
            imdb_id = synthetic_imdb_id(title, year, kind)
        with self._lock:
            return self._synthesized.setdefault(
                imdb_id, synthesize_record(title, year, kind, imdb_id)
            )


def _dump(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
