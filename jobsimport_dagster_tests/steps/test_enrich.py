"""Enrichment on real OMDb and IMDb answers: parsing quirks, acceptance, the provider chain."""

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from jobsimport_dagster.clients.imdb import imdb_search_answer, parse_imdb_search, parse_suggestions
from jobsimport_dagster.clients.omdb import (
    Kind,
    SearchCandidate,
    parse_omdb_search,
    parse_omdb_title,
    parse_year,
)
from jobsimport_dagster.codes import RowCode, RowStatus
from jobsimport_dagster.errors import BudgetExhausted, MissingCredential, UpstreamUnavailable
from jobsimport_dagster.standins.omdb import EN_DASH
from jobsimport_dagster.steps.enrich import (
    MatchProblem,
    MatchVerdict,
    Route,
    choice_keys,
    describe,
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
        # case: Letterboxd's "THE GODFATHER" from an all-caps list import
        ("THE GODFATHER", "The Godfather", True),
        # accents both ways: Léon, Les Misérables, Nausicaä, Bienvenue chez les Ch'tis
        ("Leon", "Léon", True),
        ("Nausicaa of the Valley of the Wind", "Nausicaä of the Valley of the Wind", True),
        ("Bienvenue chez les Chtis", "Bienvenue chez les Ch'tis", True),
        # letters without a decomposition: Æon Flux, Ø in Danish titles
        ("Aeon Flux", "Æon Flux", True),
        ("Kobenhavn", "København", True),
        # `·` / `:` / `-` separators: WALL·E is WALL-E and WALL E, not "Walls Have Ears"
        ("WALL-E", "WALL·E", True),
        ("Wall E", "WALL·E", True),
        ("WALL·E", "Walls Have Ears", False),
        ("Mission Impossible", "Mission: Impossible", True),
        ("Star Wars Episode IV A New Hope", "Star Wars: Episode IV - A New Hope", True),
        # `&` and "and": Fast & Furious, Marley & Me
        ("Fast and Furious", "Fast & Furious", True),
        ("Marley and Me", "Marley & Me", True),
        # leading articles, English: The Matrix / Matrix, The / A Quiet Place / An Education
        ("Matrix", "The Matrix", True),
        ("Matrix, The", "The Matrix", True),
        ("Quiet Place", "A Quiet Place", True),
        ("Education", "An Education", True),
        # French: Les Misérables, Le Samouraï, La Haine, L'Avventura (Italian elision too)
        ("Miserables", "Les Misérables", True),
        ("Samourai", "Le Samouraï", True),
        ("Haine", "La Haine", True),
        ("Avventura", "L'Avventura", True),
        # German: Der Untergang, Die Welle, Das Boot
        ("Untergang", "Der Untergang", True),
        ("Welle", "Die Welle", True),
        ("Boot", "Das Boot", True),
        # Spanish and Italian: El laberinto del fauno, Il Postino
        ("Laberinto del fauno", "El laberinto del fauno", True),
        ("Postino", "Il Postino", True),
        # only a leading article goes: "The Man Who Knew Too Much" keeps its inner words
        ("Man Who Knew Much", "The Man Who Knew Too Much", False),
        # roman and arabic sequel numbers: Rocky II, The Godfather Part II, Star Wars IV
        ("Rocky 2", "Rocky II", True),
        ("The Godfather: Part 2", "The Godfather Part II", True),
        ("Rocky", "Rocky II", False),
        # a first word is never a numeral: "I, Robot" is not "1 Robot", "V for Vendetta" stays
        ("1 Robot", "I, Robot", False),
        ("V for Vendetta", "V for Vendetta", True),
        # initialisms and possessives are one word: A.I., Ocean's Eleven
        ("AI Artificial Intelligence", "A.I. Artificial Intelligence", True),
        ("Oceans Eleven", "Ocean's Eleven", True),
        # a shorter title inside a longer one is another film: Max is not Mad Max: Fury Road
        ("Max", "Mad Max: Fury Road", False),
        ("Blade Runner", "Blade Runner 2049", False),
        # compatibility characters: Fellini's 8½ typed as 8 1/2
        ("8 1/2", "8½", True),
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

    def start_imdb_search(self, query: str) -> Callable[[], Mapping[str, Any] | None]:
        # Answered when the chain asks for it, so `calls` keeps the order the chain reads in.
        def answer() -> Mapping[str, Any] | None:
            found = self._answer(("imdb", query), self.imdb.get(normalize_title(query)))
            return None if found is None else as_cached_search(found)

        return answer


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


# --- verdicts (SPEC §12) -------------------------------------------------------------------------


def omdb_body(imdb_id: str, title: str, year: str, kind: str = "movie", genre: str = "Drama"):
    """A minimal OMDb success body."""
    return {"Title": title, "Year": year, "imdbID": imdb_id, "Type": kind, "Genre": genre,
            "Response": "True"}  # fmt: skip


def imdb_hits(*hits: tuple[str, str, int, str]) -> dict[str, Any]:
    """An IMDb suggestion answer (v3 shape) listing these (id, title, year, qid)."""
    return {"d": [{"id": i, "l": title, "y": year, "qid": qid} for i, title, year, qid in hits]}


FLOW_FEATURE = omdb_body("tt4772188", "Flow", "2024", genre="Animation, Adventure, Fantasy")
FLOW_SHORT = omdb_body("tt9900101", "Flow", "2024", genre="Animation, Short")
MAX = omdb_body("tt3369806", "Max", "2015")
MAD_MAX = omdb_body("tt1392190", "Mad Max: Fury Road", "2015")
WALL_E = omdb_body("tt0910970", "WALL·E", "2008")
WALLS_HAVE_EARS = omdb_body("tt9900102", "Walls Have Ears", "2008")
LEON = omdb_body("tt0110413", "Léon: The Professional", "1994")
LITTLE_WOMEN_2019 = omdb_body("tt3281548", "Little Women", "2019")
SHAMELESS_US = omdb_body("tt1586680", "Shameless", f"2011{EN_DASH}2021", kind="series")
LITTLE_WOMEN_HITS = imdb_hits(
    ("tt3281548", "Little Women", 2019, "movie"),
    ("tt9900103", "Little Women", 2018, "movie"),
    ("tt0110367", "Little Women", 1994, "movie"),
)

VERDICT_CASES = [
    pytest.param(
        # "Flow" 2024: OMDb's t= answers a short (`Short` in Genre, Type movie); IMDb lists the
        # feature too: two titles fit, nothing tells them apart
        movie_seed("Flow", 2024),
        Kind.MOVIE,
        {
            "by_title": {("flow", 2024): FLOW_SHORT},
            "imdb": {
                "flow": imdb_hits(
                    ("tt4772188", "Flow", 2024, "movie"), ("tt9900101", "Flow", 2024, "short")
                )
            },
        },
        (None, RowCode.AMBIGUOUS_MATCH, MatchVerdict.AMBIGUOUS, None),
        {"tt4772188", "tt9900101"},
        [("t", "Flow", 2024, "movie"), ("imdb", "Flow")],
        id="short-and-feature-of-one-year",
    ),
    pytest.param(
        # "Max" 2015: OMDb's t= answers "Mad Max: Fury Road"; IMDb names the film "Max" of
        # that year, fetched by ID: verified to the row's title
        movie_seed("Max", 2015),
        Kind.MOVIE,
        {
            "by_title": {("max", 2015): MAD_MAX},
            "by_id": {"tt3369806": MAX},
            "imdb": {
                "max": imdb_hits(
                    ("tt3369806", "Max", 2015, "movie"),
                    ("tt1392190", "Mad Max: Fury Road", 2015, "movie"),
                )
            },
        },
        ("tt3369806", None, MatchVerdict.VERIFIED, Route.IMDB_SEARCH),
        {"tt3369806"},
        [("t", "Max", 2015, "movie"), ("imdb", "Max"), ("i", "tt3369806")],
        id="t-answers-another-title-imdb-has-the-row's",
    ),
    pytest.param(
        # "WALL·E": t= answers "Walls Have Ears"; IMDb's WALL·E has the row's key
        movie_seed("WALL·E", 2008),
        Kind.MOVIE,
        {
            "by_title": {("wall·e", 2008): WALLS_HAVE_EARS},
            "by_id": {"tt0910970": WALL_E},
            "imdb": {"wall·e": imdb_hits(("tt0910970", "WALL·E", 2008, "movie"))},
        },
        ("tt0910970", None, MatchVerdict.VERIFIED, Route.IMDB_SEARCH),
        {"tt0910970"},
        [("t", "WALL·E", 2008, "movie"), ("imdb", "WALL·E"), ("i", "tt0910970")],
        id="middle-dot-title",
    ),
    pytest.param(
        # "Leon" 1994: only "Léon: The Professional" answers, another title: the user decides
        movie_seed("Leon", 1994),
        Kind.MOVIE,
        {
            "by_title": {("leon", 1994): LEON},
            "imdb": {"leon": imdb_hits(("tt0110413", "Léon: The Professional", 1994, "movie"))},
        },
        (None, RowCode.AMBIGUOUS_MATCH, MatchVerdict.AMBIGUOUS, None),
        {"tt0110413"},
        [
            ("t", "Leon", 1994, "movie"),
            ("imdb", "Leon"),
            ("t", "Leon", 1993, "movie"),
            ("t", "Leon", 1995, "movie"),
            ("s", "Leon", 1994, "movie"),
        ],
        id="only-another-title",
    ),
    pytest.param(
        # "Little Women" without a year: the 2019 film, a 2018 one and the 1994 one
        movie_seed("Little Women"),
        Kind.MOVIE,
        {
            "by_title": {("little women", None): LITTLE_WOMEN_2019},
            "imdb": {"little women": LITTLE_WOMEN_HITS},
        },
        (None, RowCode.AMBIGUOUS_MATCH, MatchVerdict.AMBIGUOUS, None),
        {"tt3281548", "tt9900103", "tt0110367"},
        [("t", "Little Women", None, "movie"), ("imdb", "Little Women")],
        id="remakes-and-no-year",
    ),
    pytest.param(
        # "Little Women" 2019: the remake a year before fits less well than the row's year
        movie_seed("Little Women", 2019),
        Kind.MOVIE,
        {
            "by_title": {("little women", 2019): LITTLE_WOMEN_2019},
            "imdb": {"little women": LITTLE_WOMEN_HITS},
        },
        ("tt3281548", None, MatchVerdict.VERIFIED, Route.OMDB_TITLE),
        {"tt3281548"},
        [("t", "Little Women", 2019, "movie"), ("imdb", "Little Women")],
        id="remake-one-year-off",
    ),
    pytest.param(
        # "Shameless" as a show, no year: the US (2011) and the UK (2004) series
        show_seed("Shameless"),
        Kind.SERIES,
        {
            "by_title": {("shameless", None): SHAMELESS_US},
            "imdb": {
                "shameless": imdb_hits(
                    ("tt1586680", "Shameless", 2011, "tvSeries"),
                    ("tt0377260", "Shameless", 2004, "tvSeries"),
                )
            },
        },
        (None, RowCode.AMBIGUOUS_MATCH, MatchVerdict.AMBIGUOUS, None),
        {"tt1586680", "tt0377260"},
        [("t", "Shameless", None, "series"), ("imdb", "Shameless")],
        id="uk-and-us-series",
    ),
    pytest.param(
        # the row names its ID: given_id, one i= call, no search
        movie_seed("Flow", 2024, imdb_id="tt4772188"),
        Kind.MOVIE,
        {"by_id": {"tt4772188": FLOW_FEATURE}},
        ("tt4772188", None, MatchVerdict.GIVEN_ID, Route.IMDB_ID),
        {"tt4772188"},
        [("i", "tt4772188")],
        id="given-id",
    ),
]


@pytest.mark.parametrize(("seed", "kind", "answers", "expected", "first", "calls"), VERDICT_CASES)
def test_each_trap_is_verified_to_the_right_title_or_ambiguous(
    sample_data: Path,
    seed: dict[str, Any],
    kind: Kind,
    answers: dict[str, Any],
    expected: tuple[str | None, RowCode | None, MatchVerdict, Route | None],
    first: set[str],
    calls: list[tuple[Any, ...]],
) -> None:
    lookups = FakeLookups(sample_data, **answers)
    result = enrich_seed(seed, kind=kind, lookups=lookups)
    verdict = result.verdict
    assert verdict is not None
    match = result.match.imdb_id if result.match else None
    route = None if verdict["route"] is None else Route(verdict["route"])
    assert (match, result.code, verdict["verdict"], route) == expected
    # The candidates that decided lead the evidence, each as the failed-rows CSV shows it.
    leading = {c["imdb_id"] for c in verdict["candidates"][: len(first)]}
    assert leading == first
    assert set(verdict["candidates"][0]) == {"imdb_id", "title", "year", "kind", "short"}
    assert verdict["reason"].endswith(".")
    assert lookups.calls == calls
    assert verdict["omdb_lookups"] == sum(1 for call in calls if call[0] != "imdb")
    if result.code is RowCode.AMBIGUOUS_MATCH:
        assert result.outcome is not None and "IMDb ID" in result.outcome.message


def test_a_choice_remembered_is_fetched_by_id_without_a_search(sample_data: Path) -> None:
    lookups = FakeLookups(sample_data, by_id={"tt4772188": FLOW_FEATURE})
    result = enrich_seed(
        movie_seed("Flow", 2024), kind=Kind.MOVIE, lookups=lookups, remembered="tt4772188"
    )
    assert result.match is not None and result.match.imdb_id == "tt4772188"
    assert result.verdict is not None
    assert (result.verdict["verdict"], result.verdict["route"]) == ("remembered", "imdb_id")
    assert "chose tt4772188" in result.verdict["reason"]
    assert lookups.calls == [("i", "tt4772188")]


def test_a_remembered_id_of_the_wrong_type_is_not_taken(sample_data: Path) -> None:
    lookups = FakeLookups(sample_data, by_id={"tt1586680": SHAMELESS_US})
    result = enrich_seed(
        movie_seed("Shameless"), kind=Kind.MOVIE, lookups=lookups, remembered="tt1586680"
    )
    assert (result.match, result.code) == (None, RowCode.WRONG_TYPE)


@pytest.mark.parametrize(
    ("candidate", "text"),
    [
        # the SPEC §12 form: `tt… Title (Year, type)`
        (SearchCandidate("tt4772188", "Flow", 2024, "movie"), "tt4772188 Flow (2024, movie)"),
        # a short says so, though OMDb and IMDb type it `movie`
        (SearchCandidate("tt9900101", "Flow", 2024, "movie", short=True),
         "tt9900101 Flow (2024, short)"),
        # an unreleased title has no year yet
        (SearchCandidate("tt0439572", "The Flash", None, "movie"),
         "tt0439572 The Flash (year unknown, movie)"),
    ],
)  # fmt: skip
def test_describe_a_candidate(candidate: SearchCandidate, text: str) -> None:
    assert describe(candidate) == text


def test_omdb_shorts_are_told_by_their_genre() -> None:
    assert parse_omdb_title(FLOW_SHORT).as_candidate().short is True
    assert parse_omdb_title(FLOW_FEATURE).as_candidate().short is False
    # "Short" must be a genre of its own, not a word inside one
    assert parse_omdb_title({**FLOW_FEATURE, "Genre": "Shorts Documentary"}).is_short is False


def test_choices_are_remembered_by_letterboxd_uri_then_title_and_year() -> None:
    seed = {**movie_seed("The Matrix", 1999), "source_uri": "https://boxd.it/29Wm"}
    assert choice_keys(seed, "movies") == [
        ("movies", "uri:https://boxd.it/29Wm"),
        ("movies", "title:matrix|1999"),
    ]
    # a show (no year, no URI) by its name alone
    assert choice_keys(show_seed("Shameless"), "shows") == [("shows", "title:shameless|")]
