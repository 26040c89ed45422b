"""Enrichment on real OMDb and IMDb answers: parsing quirks, acceptance, the provider chain."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from jobsimport_dagster.clients.imdb import imdb_search_answer, parse_imdb_search, parse_suggestions
from jobsimport_dagster.clients.omdb import Kind, parse_omdb_search, parse_omdb_title, parse_year
from jobsimport_dagster.codes import RowCode, RowStatus
from jobsimport_dagster.errors import BudgetExhausted, MissingCredential, UpstreamUnavailable
from jobsimport_dagster.steps.enrich import (
    MatchProblem,
    Route,
    enrich_seed,
    judge,
    kind_for,
    match_problem,
    title_match_key,
)
from jobsimport_dagster.steps.normalize import normalize_title

UP = "title_up_tt1049413.json"
FILM_1917 = "title_1917_tt8579674.json"
KINGSMAN = "title_kingsman_tt2802144_no_rotten_tomatoes.json"
BREAKOUT_KINGS = "series_breakout_kings_tt1590961.json"
STARGATE = "series_stargate_sg1_tt0118480_legacy_no_ratings.json"
BSG_EPISODE = "episode_bsg_bastille_day_tt0519763_legacy.json"
AIRPLANE_EPISODE = "title_airplane_no_year_returns_tv_episode_legacy.json"
AIRPLANE_1980 = "title_airplane_y1980_movie_legacy.json"
SEARCH_AIRPLANE = "search_airplane_legacy_no_totalResults.json"
SEARCH_POLAR = "search_polar_express_includes_game_type.json"
IMDB_STUPID = "imdb_suggestion/v3_x_stupid_includeVideos1.json"
IMDB_FLASH = "imdb_suggestion/v2_legacy_flash_array_image.json"
MOVIE_NOT_FOUND = "errors/movie_not_found.json"
TOO_MANY_RESULTS = "errors/too_many_results.json"
INCORRECT_IMDB_ID = "errors/incorrect_imdb_id.json"
ERROR_GETTING_DATA = "errors/error_getting_data.json"


def load_omdb(sample_data: Path, name: str) -> dict[str, Any]:
    """One stored OMDb/IMDb answer from `shared/data/omdb`, as the provider sent it."""
    return json.loads((sample_data / "omdb" / name).read_text(encoding="utf-8"))


def as_cached_search(suggestions: Mapping[str, Any]) -> dict[str, Any]:
    """An IMDb suggestion answer as the IMDb client reads it and the cache keeps it."""
    return imdb_search_answer(parse_suggestions(suggestions))


# --- parsing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        # modern shape with three rating sources
        (UP, {"imdb_id": "tt1049413", "title": "Up", "year": 2009, "kind": "movie",
              "genre": "Animation, Adventure, Comedy", "imdb_rating": 8.2, "imdb_votes": 966025,
              "total_seasons": None}),
        # numeric title stays text; Year 2019 is kept though Released is in 2020
        (FILM_1917, {"title": "1917", "year": 2019, "language": "English, French, German"}),
        # series: en-dash year range, totalSeasons, no DVD/BoxOffice/Production/Website keys
        (BREAKOUT_KINGS, {"title": "Breakout Kings", "year": 2011, "kind": "series",
                          "total_seasons": 2, "imdb_votes": 15196}),
        # legacy shape with no Ratings array at all
        (STARGATE, {"year": 1997, "kind": "series", "ratings": {}, "imdb_rating": 8.4,
                    "total_seasons": 10}),
        # episode; imdbVotes without a thousands separator
        (BSG_EPISODE, {"kind": "episode", "imdb_votes": 1247, "year": 2004}),
        # N/A everywhere becomes None; whitespace between tokens in the legacy body
        (AIRPLANE_EPISODE, {"title": "Airplane", "kind": "episode", "plot": None,
                            "language": None, "year": 1999}),
        # the film's title carries punctuation the user does not type
        (AIRPLANE_1980, {"imdb_id": "tt0080339", "title": "Airplane!", "kind": "movie",
                         "year": 1980}),
    ],
)  # fmt: skip
def test_parse_omdb_title_reads_real_answers(
    sample_data: Path, fixture: str, expected: dict[str, Any]
) -> None:
    title = parse_omdb_title(load_omdb(sample_data, fixture))
    assert {field: getattr(title, field) for field in expected} == expected


@pytest.mark.parametrize(
    ("fixture", "source", "value"),
    [
        # all three sources present
        (UP, "Rotten Tomatoes", "98%"),
        (UP, "Metacritic", "88/100"),
        # no Rotten Tomatoes entry: Metacritic is second, read by Source not position
        (KINGSMAN, "Metacritic", "60/100"),
        (KINGSMAN, "Rotten Tomatoes", None),
        # series with only the IMDb rating
        (BREAKOUT_KINGS, "Internet Movie Database", "7.3/10"),
        # legacy body without a Ratings key
        (STARGATE, "Internet Movie Database", None),
    ],
)
def test_ratings_are_read_by_source(
    sample_data: Path, fixture: str, source: str, value: str | None
) -> None:
    assert parse_omdb_title(load_omdb(sample_data, fixture)).ratings.get(source) == value


def test_na_poster_rating_and_year_become_none(sample_data: Path) -> None:
    # The polar express game's "Poster": "N/A", applied to a full title answer.
    data = load_omdb(sample_data, UP) | {"Poster": "N/A", "imdbRating": "N/A", "Year": "N/A"}
    title = parse_omdb_title(data)
    assert (title.poster, title.imdb_rating, title.year) == (None, None, None)
    assert parse_omdb_title(load_omdb(sample_data, UP)).poster.startswith("https://")


def test_a_rating_that_is_not_a_finite_number_becomes_none(sample_data: Path) -> None:
    for text in ("NaN", "inf", "-Infinity"):
        data = load_omdb(sample_data, UP) | {"imdbRating": text, "imdbVotes": text}
        title = parse_omdb_title(data)
        assert (title.imdb_rating, title.imdb_votes) == (None, None)


def test_parse_omdb_title_refuses_an_error_body(sample_data: Path) -> None:
    with pytest.raises(ValueError, match="imdbID"):
        parse_omdb_title(load_omdb(sample_data, MOVIE_NOT_FOUND))


@pytest.mark.parametrize(
    ("value", "year"),
    [
        ("2019", 2019),
        ("2011\u20132012", 2011),  # series range with an en dash (U+2013)
        ("2021\u2013", 2021),  # running series, open en-dash range
        ("2014-", 2014),  # IMDb's `yr` uses a hyphen
        ("1990-1991", 1990),  # hyphen range
        (2011, 2011),  # IMDb suggestion `y` is an int
        ("N/A", None),
        ("", None),
        (None, None),  # unreleased title without `y`
    ],
)
def test_parse_year_takes_the_first_year(value: object, year: int | None) -> None:
    assert parse_year(value) == year


def test_parse_omdb_search_reads_modern_shape(sample_data: Path) -> None:
    candidates = parse_omdb_search(load_omdb(sample_data, SEARCH_POLAR))
    assert [(c.imdb_id, c.year, c.kind) for c in candidates] == [
        ("tt0338348", 2004, "movie"),
        ("tt0433622", 2004, "game"),
        ("tt8112192", 2003, "movie"),
    ]
    assert {c.title for c in candidates} == {"The Polar Express"}


def test_parse_omdb_search_reads_legacy_shape(sample_data: Path) -> None:
    # No totalResults, Response or Poster; an open-ended series year "2010" + en dash.
    candidates = parse_omdb_search(load_omdb(sample_data, SEARCH_AIRPLANE))
    assert len(candidates) == 10
    assert candidates[0].title == "Airplane!"
    repo = next(c for c in candidates if c.imdb_id == "tt1808720")
    assert (repo.title, repo.year, repo.kind) == ("Airplane Repo", 2010, "series")


@pytest.mark.parametrize(
    ("fixture", "imdb_id", "expected"),
    [
        # v3 suggestion: qid "movie", int year
        (IMDB_STUPID, "tt1570728", ("Crazy, Stupid, Love.", 2011, "movie")),
        # v3 suggestion: qid "tvSeries" is OMDb's "series"
        (IMDB_STUPID, "tt21652514", ("Stupid Wife", 2022, "series")),
        (IMDB_STUPID, "tt0499408", ("Stupid", 2004, "series")),
        # legacy v2: no qid, q "feature"; unreleased film without `y`
        (IMDB_FLASH, "tt0439572", ("The Flash", None, "movie")),
        # legacy v2: q "TV episode"
        (IMDB_FLASH, "tt0136199", ("Flash", 1997, "episode")),
    ],
)
def test_parse_imdb_search_reads_both_suggestion_shapes_as_cached(
    sample_data: Path, fixture: str, imdb_id: str, expected: tuple
) -> None:
    candidates = parse_imdb_search(as_cached_search(load_omdb(sample_data, fixture)))
    found = next(c for c in candidates if c.imdb_id == imdb_id)
    assert (found.title, found.year, found.kind) == expected


def test_parse_imdb_search_keeps_only_titles() -> None:
    results = [
        {"id": "nm0000138", "title": "Leonardo DiCaprio", "year": None, "type": "unknown"},
        {"id": "tt1570728", "title": "Crazy, Stupid, Love.", "year": 2011, "type": "movie"},
    ]
    assert [c.imdb_id for c in parse_imdb_search({"results": results})] == ["tt1570728"]
    assert parse_imdb_search({"results": []}) == ()


# --- acceptance ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "kind", "year_hint", "problem"),
    [
        # t=airplane without a year answers a TV episode: not the film
        (AIRPLANE_EPISODE, Kind.MOVIE, None, MatchProblem.WRONG_TYPE),
        # the film, exact year
        (AIRPLANE_1980, Kind.MOVIE, 1980, None),
        # off by one year is tolerated
        (AIRPLANE_1980, Kind.MOVIE, 1981, None),
        # off by two is another film
        (AIRPLANE_1980, Kind.MOVIE, 1982, MatchProblem.YEAR_MISMATCH),
        # no year in the file: type alone decides
        (AIRPLANE_1980, Kind.MOVIE, None, None),
        # 1917: the file may give the release year (2020), OMDb's Year is 2019
        (FILM_1917, Kind.MOVIE, 2020, None),
        (FILM_1917, Kind.MOVIE, 2021, MatchProblem.YEAR_MISMATCH),
        # a series is right for shows (first year of the en-dash range) and wrong for movies
        (BREAKOUT_KINGS, Kind.SERIES, 2012, None),
        (BREAKOUT_KINGS, Kind.MOVIE, None, MatchProblem.WRONG_TYPE),
        # a film is not a show
        (UP, Kind.SERIES, None, MatchProblem.WRONG_TYPE),
        # an episode is not a show either
        (BSG_EPISODE, Kind.SERIES, None, MatchProblem.WRONG_TYPE),
    ],
)
def test_match_problem(
    sample_data: Path,
    fixture: str,
    kind: Kind,
    year_hint: int | None,
    problem: MatchProblem | None,
) -> None:
    title = parse_omdb_title(load_omdb(sample_data, fixture))
    assert match_problem(title, kind=kind, year_hint=year_hint) == problem


def test_search_game_is_never_acceptable_for_movies(sample_data: Path) -> None:
    game = parse_omdb_search(load_omdb(sample_data, SEARCH_POLAR))[1]
    assert match_problem(game, kind=Kind.MOVIE, year_hint=2004) is MatchProblem.WRONG_TYPE


@pytest.mark.parametrize(
    ("title", "other", "same"),
    [
        ("airplane", "Airplane!", True),  # punctuation the user left out
        ("Crazy Stupid Love", "Crazy, Stupid, Love.", True),  # commas and final period
        ("Amelie", "Amélie", True),  # accents
        ("Spiderman", "Spider-Man", True),  # hyphen
        ("1917", "1917", True),  # numeric title
        ("Airplane II", "Airplane!", False),
    ],
)
def test_title_match_key_ignores_case_accents_and_punctuation(
    title: str, other: str, same: bool
) -> None:
    assert (title_match_key(title) == title_match_key(other)) is same


@pytest.mark.parametrize(
    ("fixture", "query", "kind", "year_hint", "picked"),
    [
        # three records titled alike: the game is skipped, the right year wins
        (SEARCH_POLAR, "The Polar Express", Kind.MOVIE, 2004, "tt0338348"),
        (SEARCH_POLAR, "The Polar Express", Kind.MOVIE, 2003, "tt8112192"),
        # no year, and two films of that title in 2003 and 2004: a tie, no guess (SPEC §12)
        (SEARCH_POLAR, "the polar express", Kind.MOVIE, None, None),
        # a year between both films: the closest one
        (SEARCH_POLAR, "The Polar Express", Kind.MOVIE, 2005, "tt0338348"),
        # no film of that year at all
        (SEARCH_POLAR, "The Polar Express", Kind.MOVIE, 2010, None),
        # "airplane" is "Airplane!"; sequels and episodes are passed over
        (SEARCH_AIRPLANE, "airplane", Kind.MOVIE, None, "tt0080339"),
        # another title is never taken, even when the file's year is its year ("Airplane II")
        (SEARCH_AIRPLANE, "airplane", Kind.MOVIE, 1982, None),
        # only an episode has this title
        (SEARCH_AIRPLANE, "Paper Airplane", Kind.MOVIE, None, None),
        # a series in a legacy search, open-ended year "2010" + en dash
        (SEARCH_AIRPLANE, "Airplane Repo", Kind.SERIES, 2010, "tt1808720"),
        # IMDb suggestions: the series titled exactly "Stupid"
        (IMDB_STUPID, "stupid", Kind.SERIES, None, "tt0499408"),
        # no film titled "Stupid" and no year: no guess
        (IMDB_STUPID, "stupid", Kind.MOVIE, None, None),
        # punctuation-free query finds "Crazy, Stupid, Love."
        (IMDB_STUPID, "crazy stupid love", Kind.MOVIE, None, "tt1570728"),
        # unreleased film without a year is still the title-equal one
        (IMDB_FLASH, "The Flash", Kind.MOVIE, 2023, "tt0439572"),
        # two series titled "The Flash": the year decides; without one it is a tie
        (IMDB_FLASH, "The Flash", Kind.SERIES, 1990, "tt0098798"),
        (IMDB_FLASH, "The Flash", Kind.SERIES, 2014, "tt3107288"),
        (IMDB_FLASH, "The Flash", Kind.SERIES, None, None),
    ],
)
def test_judge_names_the_one_best_fit_or_none(
    sample_data: Path,
    fixture: str,
    query: str,
    kind: Kind,
    year_hint: int | None,
    picked: str | None,
) -> None:
    data = load_omdb(sample_data, fixture)
    candidates = (
        parse_omdb_search(data) if "Search" in data else parse_imdb_search(as_cached_search(data))
    )
    choice = judge(candidates, query=query, kind=kind, year_hint=year_hint).winner
    assert (choice.imdb_id if choice else None) == picked


def test_kind_for_import_type() -> None:
    assert (kind_for("movies"), kind_for("shows")) == (Kind.MOVIE, Kind.SERIES)


# --- the provider chain --------------------------------------------------------------------------

ANY_YEAR = "any"
Answer = str | dict[str, Any]


class FakeLookups:
    """The `Lookups` protocol answered from stored provider bodies; records every call.

    An answer is a fixture name or a body. Unlisted lookups answer what OMDb answers then:
    `Movie not found!`, `Too many results.`, `Incorrect IMDb ID.`; IMDb answers nothing.
    """

    def __init__(
        self,
        sample_data: Path,
        *,
        by_id: dict[str, Answer] | None = None,
        by_title: dict[tuple[str, int | str | None], Answer] | None = None,
        search: dict[str, Answer] | None = None,
        imdb: dict[str, Answer] | None = None,
        raise_on: tuple[str, Exception] | None = None,
    ) -> None:
        self.sample_data = sample_data
        self.by_id = by_id or {}
        self.by_title = by_title or {}
        self.search = search or {}
        self.imdb = imdb or {}
        self.raise_on = raise_on
        self.calls: list[tuple[Any, ...]] = []

    def _answer(self, call: tuple[Any, ...], answer: Answer | None) -> dict[str, Any] | None:
        self.calls.append(call)
        if self.raise_on and self.raise_on[0] == call[0]:
            raise self.raise_on[1]
        return load_omdb(self.sample_data, answer) if isinstance(answer, str) else answer

    def omdb_by_id(self, imdb_id: str) -> Mapping[str, Any] | None:
        return self._answer(("i", imdb_id), self.by_id.get(imdb_id, INCORRECT_IMDB_ID))

    def omdb_by_title(
        self, title: str, *, year: int | None, kind: Kind
    ) -> Mapping[str, Any] | None:
        key = normalize_title(title)
        fixture = self.by_title.get((key, year)) or self.by_title.get((key, ANY_YEAR))
        return self._answer(("t", title, year, str(kind)), fixture or MOVIE_NOT_FOUND)

    def omdb_search(self, query: str, *, year: int | None, kind: Kind) -> Mapping[str, Any] | None:
        fixture = self.search.get(normalize_title(query), TOO_MANY_RESULTS)
        return self._answer(("s", query, year, str(kind)), fixture)

    def imdb_search(self, query: str) -> Mapping[str, Any] | None:
        answer = self._answer(("imdb", query), self.imdb.get(normalize_title(query)))
        return None if answer is None else as_cached_search(answer)


def movie_seed(title: str, year: int | None = None, imdb_id: str | None = None) -> dict[str, Any]:
    return {
        "title": title,
        "viewing_date": "2024-01-05",
        "year": year,
        "imdb_id": imdb_id,
        "rating": None,
        "rewatch": False,
        "tags": None,
        "review": None,
        "source_uri": None,
    }


def show_seed(show: str, season: int = 1, imdb_id: str | None = None) -> dict[str, Any]:
    return {"show": show, "season": season, "viewing_date": "2024-01-05", "year": None,
            "imdb_id": imdb_id}  # fmt: skip


CHAIN_CASES = [
    pytest.param(
        # a given IMDb ID bypasses search: one i= call
        movie_seed("Up", 2009, imdb_id="tt1049413"),
        Kind.MOVIE,
        {"by_id": {"tt1049413": UP}},
        ("tt1049413", Route.IMDB_ID, None),
        [("i", "tt1049413")],
        id="given-imdb-id",
    ),
    pytest.param(
        # t=airplane&y=1980 answers the film "Airplane!"; IMDb's search is the second opinion
        movie_seed("airplane", 1980),
        Kind.MOVIE,
        {"by_title": {("airplane", 1980): AIRPLANE_1980}},
        ("tt0080339", Route.OMDB_TITLE, None),
        [("t", "airplane", 1980, "movie"), ("imdb", "airplane")],
        id="title-and-year",
    ),
    pytest.param(
        # the file's year is one off and IMDb knows nothing: year-1 finds it
        movie_seed("airplane", 1981),
        Kind.MOVIE,
        {"by_title": {("airplane", 1980): AIRPLANE_1980}},
        ("tt0080339", Route.OMDB_TITLE, None),
        [("t", "airplane", 1981, "movie"), ("imdb", "airplane"), ("t", "airplane", 1980, "movie")],
        id="year-minus-one",
    ),
    pytest.param(
        # numeric title 1917, found by year+1 when the file says 2018
        movie_seed("1917", 2018),
        Kind.MOVIE,
        {"by_title": {("1917", 2019): FILM_1917}},
        ("tt8579674", Route.OMDB_TITLE, None),
        [
            ("t", "1917", 2018, "movie"),
            ("imdb", "1917"),
            ("t", "1917", 2017, "movie"),
            ("t", "1917", 2019, "movie"),
        ],
        id="numeric-title-year-plus-one",
    ),
    pytest.param(
        # no year: t= answers the TV episode, the search finds "Airplane!", i= fetches it
        movie_seed("airplane"),
        Kind.MOVIE,
        {
            "by_title": {("airplane", None): AIRPLANE_EPISODE},
            "search": {"airplane": SEARCH_AIRPLANE},
            "by_id": {"tt0080339": AIRPLANE_1980},
        },
        ("tt0080339", Route.OMDB_SEARCH, None),
        [
            ("t", "airplane", None, "movie"),
            ("imdb", "airplane"),
            ("s", "airplane", None, "movie"),
            ("i", "tt0080339"),
        ],
        id="episode-then-search",
    ),
    pytest.param(
        # OMDb says "Movie not found!"; IMDb's search, asked second, finds it: no OMDb call
        # around the year nor OMDb search is spent
        movie_seed("Up", 2009),
        Kind.MOVIE,
        {
            "imdb": {"up": {"d": [{"id": "tt1049413", "l": "Up", "y": 2009, "qid": "movie"}]}},
            "by_id": {"tt1049413": UP},
        },
        ("tt1049413", Route.IMDB_SEARCH, None),
        [("t", "Up", 2009, "movie"), ("imdb", "Up"), ("i", "tt1049413")],
        id="imdb-fallback",
    ),
    pytest.param(
        # a show: t=…&type=series answers the series (en-dash year)
        show_seed("Breakout Kings", season=2),
        Kind.SERIES,
        {"by_title": {("breakout kings", None): BREAKOUT_KINGS}},
        ("tt1590961", Route.OMDB_TITLE, None),
        [("t", "Breakout Kings", None, "series"), ("imdb", "Breakout Kings")],
        id="show-by-title",
    ),
    pytest.param(
        # a show named by IMDb ID, legacy body without Ratings
        show_seed("stargate", imdb_id="tt0118480"),
        Kind.SERIES,
        {"by_id": {"tt0118480": STARGATE}},
        ("tt0118480", Route.IMDB_ID, None),
        [("i", "tt0118480")],
        id="show-by-imdb-id",
    ),
    pytest.param(
        # the given IMDb ID is an episode: wrong_type, nothing else is tried
        movie_seed("Bastille Day", imdb_id="tt0519763"),
        Kind.MOVIE,
        {"by_id": {"tt0519763": BSG_EPISODE}},
        (None, None, RowCode.WRONG_TYPE),
        [("i", "tt0519763")],
        id="given-id-is-an-episode",
    ),
    pytest.param(
        # a film's IMDb ID given for a show
        show_seed("Up", imdb_id="tt1049413"),
        Kind.SERIES,
        {"by_id": {"tt1049413": UP}},
        (None, None, RowCode.WRONG_TYPE),
        [("i", "tt1049413")],
        id="given-id-is-a-film-for-a-show",
    ),
    pytest.param(
        # OMDb answers "Incorrect IMDb ID.": not_found, no search for something else
        movie_seed("Up", 2009, imdb_id="tt9999999"),
        Kind.MOVIE,
        {},
        (None, None, RowCode.NOT_FOUND),
        [("i", "tt9999999")],
        id="given-id-unknown",
    ),
    pytest.param(
        # only the TV episode "Airplane" exists anywhere: wrong_type, not not_found
        movie_seed("airplane"),
        Kind.MOVIE,
        {"by_title": {("airplane", None): AIRPLANE_EPISODE}},
        (None, None, RowCode.WRONG_TYPE),
        [("t", "airplane", None, "movie"), ("imdb", "airplane"), ("s", "airplane", None, "movie")],
        id="only-an-episode",
    ),
    pytest.param(
        # Letterboxd "One Day" 2024 is a series logged as a film; the 2011 film is another year
        movie_seed("One Day", 2024),
        Kind.MOVIE,
        {
            "imdb": {
                "one day": {
                    "d": [
                        {"id": "tt9000001", "l": "One Day", "y": 2024, "qid": "tvSeries"},
                        {"id": "tt9000002", "l": "One Day", "y": 2011, "qid": "movie"},
                    ]
                }
            }
        },
        (None, None, RowCode.WRONG_TYPE),
        [
            ("t", "One Day", 2024, "movie"),
            ("imdb", "One Day"),
            ("t", "One Day", 2023, "movie"),
            ("t", "One Day", 2025, "movie"),
            ("s", "One Day", 2024, "movie"),
        ],
        id="series-logged-as-film",
    ),
    pytest.param(
        # OMDb answers 1917 whatever the year; a file year of 2023 is another film: not_found
        movie_seed("1917", 2023),
        Kind.MOVIE,
        {"by_title": {("1917", ANY_YEAR): FILM_1917}},
        (None, None, RowCode.NOT_FOUND),
        [
            ("t", "1917", 2023, "movie"),
            ("imdb", "1917"),
            ("t", "1917", 2022, "movie"),
            ("t", "1917", 2024, "movie"),
            ("s", "1917", 2023, "movie"),
        ],
        id="year-mismatch-is-not-found",
    ),
    pytest.param(
        # IMDb names the unreleased film OMDb cannot resolve ("Error getting data."): it is
        # not taken, and nothing else fits: not_found
        movie_seed("The Flash", 2023),
        Kind.MOVIE,
        {"imdb": {"the flash": IMDB_FLASH}, "by_id": {"tt0439572": ERROR_GETTING_DATA}},
        (None, None, RowCode.NOT_FOUND),
        [
            ("t", "The Flash", 2023, "movie"),
            ("imdb", "The Flash"),
            ("i", "tt0439572"),
            ("t", "The Flash", 2022, "movie"),
            ("t", "The Flash", 2024, "movie"),
            ("s", "The Flash", 2023, "movie"),
        ],
        id="imdb-id-omdb-cannot-resolve",
    ),
    pytest.param(
        # a show without a year: IMDb knows two series "The Flash" (1990, 2014) and nothing
        # tells them apart: ambiguous_match, and no OMDb call is spent on either
        show_seed("The Flash"),
        Kind.SERIES,
        {"imdb": {"the flash": IMDB_FLASH}},
        (None, None, RowCode.AMBIGUOUS_MATCH),
        [("t", "The Flash", None, "series"), ("imdb", "The Flash")],
        id="two-series-no-year",
    ),
]


@pytest.mark.parametrize(("seed", "kind", "answers", "expected", "calls"), CHAIN_CASES)
def test_enrich_seed_walks_the_chain(
    sample_data: Path,
    seed: dict[str, Any],
    kind: Kind,
    answers: dict[str, Any],
    expected: tuple[str | None, Route | None, RowCode | None],
    calls: list[tuple[Any, ...]],
) -> None:
    lookups = FakeLookups(sample_data, **answers)
    result = enrich_seed(seed, kind=kind, lookups=lookups)
    assert (result.match.imdb_id if result.match else None, result.route, result.code) == expected
    assert lookups.calls == calls
    assert result.omdb_lookups == sum(1 for call in calls if call[0] != "imdb")
    assert result.imdb_lookups == sum(1 for call in calls if call[0] == "imdb")


@pytest.mark.parametrize(
    ("seed", "kind", "answers", "code", "words"),
    [
        # wrong_type names the title, what it was found as, and what was wanted
        (movie_seed("Bastille Day", imdb_id="tt0519763"), Kind.MOVIE,
         {"by_id": {"tt0519763": BSG_EPISODE}}, RowCode.WRONG_TYPE,
         ["'Bastille Day'", "episode", "tt0519763", "movie"]),
        # not_found names the title and the file's year
        (movie_seed("Nonexistent Film", 2020), Kind.MOVIE, {}, RowCode.NOT_FOUND,
         ["'Nonexistent Film'", "2020", "OMDb", "IMDb"]),
        # an unknown given ID is named
        (movie_seed("Up", imdb_id="tt9999999"), Kind.MOVIE, {}, RowCode.NOT_FOUND,
         ["tt9999999", "'Up'"]),
        # shows name the show
        (show_seed("Nonexistent Show"), Kind.SERIES, {}, RowCode.NOT_FOUND,
         ["series", "'Nonexistent Show'"]),
    ],
)  # fmt: skip
def test_failed_enrichment_is_a_failed_outcome_with_a_message(
    sample_data: Path,
    seed: dict[str, Any],
    kind: Kind,
    answers: dict[str, Any],
    code: RowCode,
    words: list[str],
) -> None:
    result = enrich_seed(seed, kind=kind, lookups=FakeLookups(sample_data, **answers))
    assert result.match is None
    assert result.outcome is not None
    assert (result.outcome.status, result.outcome.code) == (RowStatus.FAILED, code)
    assert result.outcome.message.endswith(".")
    for word in words:
        assert word in result.outcome.message


def test_wrong_type_result_names_the_kind_found(sample_data: Path) -> None:
    lookups = FakeLookups(sample_data, by_title={("airplane", None): AIRPLANE_EPISODE})
    result = enrich_seed(movie_seed("airplane"), kind=Kind.MOVIE, lookups=lookups)
    assert (result.code, result.wrong_kind) == (RowCode.WRONG_TYPE, "episode")


def test_accepted_match_has_no_outcome(sample_data: Path) -> None:
    lookups = FakeLookups(sample_data, by_id={"tt1049413": UP})
    result = enrich_seed(movie_seed("Up", imdb_id="tt1049413"), kind=Kind.MOVIE, lookups=lookups)
    assert result.outcome is None
    assert result.match == parse_omdb_title(load_omdb(sample_data, UP))


@pytest.mark.parametrize(
    ("step", "error"),
    [
        # the day's budget runs out mid-chain
        ("s", BudgetExhausted("the day's OMDb budget is spent")),
        # IMDb is down after its retries
        ("imdb", UpstreamUnavailable("imdb.ashish.me timed out")),
        # OMDb refused the key (401)
        ("t", MissingCredential("OMDB_API_KEY")),
        ("i", MissingCredential("OMDB_API_KEY")),
    ],
)
def test_lookup_errors_propagate_unchanged(sample_data: Path, step: str, error: Exception) -> None:
    seed = movie_seed("Up", 2009, imdb_id="tt1049413" if step == "i" else None)
    lookups = FakeLookups(sample_data, raise_on=(step, error))
    with pytest.raises(type(error)) as raised:
        enrich_seed(seed, kind=Kind.MOVIE, lookups=lookups)
    assert raised.value is error


def test_judge_prefers_the_equal_title_over_the_exact_year(sample_data: Path) -> None:
    # Were "Airplane II" from 1981, the file's "airplane (1981)" is still "Airplane!" (1980).
    data = load_omdb(sample_data, SEARCH_AIRPLANE)
    data["Search"][1]["Year"] = "1981"
    candidates = parse_omdb_search(data)
    choice = judge(candidates, query="airplane", kind=Kind.MOVIE, year_hint=1981).winner
    assert choice is not None and choice.imdb_id == "tt0080339"
