"""The Netflix adapter: the file's date order, and each line as a show-season or a verdict."""

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from jobsimport_dagster.sources.base import MAPPED_COLUMNS, VERDICT_COLUMNS, FileScoped
from jobsimport_dagster.sources.netflix import (
    NETFLIX,
    NETFLIX_FILMS,
    DateOrder,
    date_problem,
    decide_date_order,
    order_from_name,
    possible_orders,
    read_date,
    settle_date_order,
)

DMY, MDY = DateOrder.DMY, DateOrder.MDY
RENAME = "rename the file to end -dmy.csv (day first) or -mdy.csv (month first) and drop it again."


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        # the US locale: month first, two-digit year, no padding
        ("10/21/20", MDY, date(2020, 10, 21)),
        ("1/5/20", MDY, date(2020, 1, 5)),
        # German: dots, day first, four-digit year
        ("21.10.2020", DMY, date(2020, 10, 21)),
        # British: slashes, day first
        ("05/01/2020", DMY, date(2020, 1, 5)),
        # Dutch: dashes, day first
        ("21-10-2020", DMY, date(2020, 10, 21)),
        # a year first is year-month-day whatever the order, even with none
        ("2020-10-21", None, date(2020, 10, 21)),
        ("2020/10/21", DMY, date(2020, 10, 21)),
        # without an order a year-last date is never guessed
        ("10/21/20", None, None),
        # not a calendar date under the order
        ("10/21/20", DMY, None),
        ("2/29/21", MDY, None),
        ("2021-02-29", None, None),
        # mixed separators, text, nothing
        ("10/21.20", MDY, None),
        ("yesterday", MDY, None),
        ("", MDY, None),
    ],
)
def test_read_date(text: str, order: DateOrder | None, expected: date | None) -> None:
    assert read_date(text, order) == expected


@pytest.mark.parametrize(
    ("text", "orders"),
    [
        # a day past 12 tells the order
        ("10/21/20", {MDY}),
        ("21.10.2020", {DMY}),
        # both numbers 12 or less: either order
        ("10/11/20", {MDY, DMY}),
        # the same number twice reads the same both ways, but tells nothing
        ("5/5/20", {MDY, DMY}),
        # a year first, or no date at all, says nothing about day and month
        ("2020-10-21", set()),
        ("13/13/20", set()),
        ("soon", set()),
    ],
)
def test_possible_orders(text: str, orders: set[DateOrder]) -> None:
    assert possible_orders(text) == orders


@pytest.mark.parametrize(
    ("dates", "order"),
    [
        # a US file: one date past the 12th settles it
        (["10/11/20", "10/9/20", "8/24/20"], MDY),
        # a German file
        (["01.02.2021", "24.12.2020"], DMY),
        # every day 12 or less: the file cannot tell
        (["10/11/20", "10/9/20", "1/2/20"], None),
        # dates that disagree: not one locale's file
        (["10/21/20", "21/10/20"], None),
        # only ISO dates: nothing to settle
        (["2020-10-21", "2020-01-02"], None),
        # an empty file
        ([], None),
        # spaces around a cell
        ([" 10/21/20 "], MDY),
    ],
)
def test_settle_date_order_from_the_whole_file(dates: list[str], order: DateOrder | None) -> None:
    assert settle_date_order(dates) == order


@pytest.mark.parametrize(
    ("file_name", "order"),
    [
        ("NetflixViewingHistory-dmy.csv", DMY),
        ("NetflixViewingHistory-MDY.csv", MDY),
        # the failed-rows CSV renamed
        ("shows-20250101T000000-netflix-0a1b2c3d.failed-dmy.csv", DMY),
        # the suffix must end the stem
        ("dmy-NetflixViewingHistory.csv", None),
        ("NetflixViewingHistory_dmy.csv", None),
        ("NetflixViewingHistory.csv", None),
    ],
)
def test_order_from_name(file_name: str, order: DateOrder | None) -> None:
    assert order_from_name(file_name) == order


def test_the_file_name_decides_over_the_dates() -> None:
    # the user's word: a -dmy file whose dates say month first is read day first
    assert decide_date_order("history-dmy.csv", ["10/21/20"]) == DMY
    assert decide_date_order("history.csv", ["10/21/20"]) == MDY
    assert decide_date_order("history.csv", ["10/11/20"]) is None


@pytest.mark.parametrize(
    ("text", "order", "message"),
    [
        # the file did not settle its order
        ("10/11/20", None,
         f"The date '10/11/20' could be day/month or month/day and the file's dates do not "
         f"settle which; {RENAME}"),
        # a date of one order only, in a file that told both
        ("10/21/20", None,
         f"The date '10/21/20' could be day/month or month/day and the file's dates do not "
         f"settle which; {RENAME}"),
        # not a date in the file's order
        ("10/21/20", DMY, "The date '10/21/20' is not a real day/month/year date."),
        ("13/45/20", MDY, "The date '13/45/20' is not a real month/day/year date."),
        ("2021-02-29", MDY, "The date '2021-02-29' is not a real calendar date."),
        ("", None, "The date '' is not a real calendar date."),
    ],
)  # fmt: skip
def test_date_problem_says_why_in_one_sentence(
    text: str, order: DateOrder | None, message: str
) -> None:
    assert date_problem(text, order) == message


def cells(*rows: tuple[str, ...], header: tuple[str, ...] = ("Title", "Date")) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(header), dtype=object)


def test_netflix_is_a_file_scoped_shows_adapter() -> None:
    assert (NETFLIX.name, NETFLIX.type, NETFLIX.required_columns) == (
        "netflix",
        "shows",
        ("Title", "Date"),
    )
    assert isinstance(NETFLIX, FileScoped)
    assert NETFLIX.matches(["Title", "Date"])
    assert NETFLIX.matches(["Title", "Date", "IMDb ID", "line", "error_code", "error_message"])
    assert not NETFLIX.matches(["Title", "Year", "Watched Date", "IMDb ID"])


def test_for_file_reads_every_chunk_before_deciding() -> None:
    # the first chunk alone cannot tell; the second one does
    chunks = [cells(("A: Season 1: B", "10/11/20")), cells(("A: Season 1: C", "10/21/20"))]
    assert NETFLIX.for_file("NetflixViewingHistory.csv", iter(chunks)).date_order == MDY
    assert NETFLIX.for_file("NetflixViewingHistory-dmy.csv", iter(chunks)).date_order == DMY
    assert NETFLIX.for_file("NetflixViewingHistory.csv", iter(chunks[:1])).date_order is None


def test_map_frame_maps_episodes_and_gives_verdicts() -> None:
    adapter = NETFLIX.for_file("history.csv", [cells(("x", "10/21/20"))])
    mapped = adapter.map_frame(
        cells(
            ("Titans: Season 1: Hank and\tDawn", "1/19/20", "tt1043813"),
            ("Hubie Halloween", "10/11/20", ""),
            ("Dark: Season 3: The Origin", "21/7/20", ""),
            ("  ", "10/11/20", ""),
            ("'=Show: Limited Series: One", "2020-03-31", ""),
            header=("Title", "Date", "IMDb ID"),
        )
    )
    assert tuple(mapped.columns) == (*MAPPED_COLUMNS, *VERDICT_COLUMNS)
    unused = dict.fromkeys(("year", "rating", "rewatch", "tags", "review", "source_uri"), "")
    assert mapped.to_dict("records") == [
        # an episode: show, season number, ISO date; the TAB is the episode's, not kept
        {"title": "Titans", "viewing_date": "2020-01-19", "season": "1",
         "imdb_id": "tt1043813", "verdict": "", "verdict_message": "", **unused},
        # a film: not a show
        {"title": "Hubie Halloween", "viewing_date": "10/11/20", "season": "", "imdb_id": "",
         "verdict": "not_a_show",
         "verdict_message": "'Hubie Halloween' has no season label (like 'Season 1' or "
                            "'Part 2'), so it is not a show's episode.", **unused},
        # a day-first date in a month-first file
        {"title": "Dark", "viewing_date": "21/7/20", "season": "3", "imdb_id": "",
         "verdict": "invalid_date",
         "verdict_message": "The date '21/7/20' is not a real month/day/year date.", **unused},
        # a blank title: validation's invalid_title, not a verdict
        {"title": "", "viewing_date": "10/11/20", "season": "", "imdb_id": "",
         "verdict": "", "verdict_message": "", **unused},
        # the failed-rows CSV's guard is removed; a limited series is season 1
        {"title": "=Show", "viewing_date": "2020-03-31", "season": "1", "imdb_id": "",
         "verdict": "", "verdict_message": "", **unused},
    ]  # fmt: skip


def test_the_real_history_is_month_first(sample_data: Path) -> None:
    history = sample_data / "netflix" / "netflix_us_NetflixViewingHistory_tsachit.csv"
    frame = pd.read_csv(history, dtype=str, keep_default_na=False)
    assert NETFLIX.for_file(history.name, [frame]).date_order == MDY


def test_netflix_films_is_the_same_file_read_as_movies() -> None:
    assert (NETFLIX_FILMS.name, NETFLIX_FILMS.type) == ("netflix", "movies")
    assert isinstance(NETFLIX_FILMS, FileScoped)
    assert "season" not in NETFLIX_FILMS.field_columns


def test_in_movies_a_title_that_is_not_an_episode_is_a_film() -> None:
    adapter = NETFLIX_FILMS.for_file("history.csv", [cells(("x", "10/21/20"))])
    mapped = adapter.map_frame(
        cells(
            ("Hubie Halloween", "10/11/20", ""),
            ("Titans: Season 1: Hank and\tDawn", "1/19/20", ""),
            ("Pacific Rim: Uprising", "21/7/20", ""),
            header=("Title", "Date", "IMDb ID"),
        )
    )
    rows = mapped[["title", "viewing_date", "season", *VERDICT_COLUMNS]].to_dict("records")
    assert rows == [
        # a film: its whole title and the date read in the file's order
        {"title": "Hubie Halloween", "viewing_date": "2020-10-11", "season": "",
         "verdict": "", "verdict_message": ""},
        # an episode is no film: skipped, and told where it imports
        {"title": "Titans: Season 1: Hank and\tDawn", "viewing_date": "1/19/20", "season": "",
         "verdict": "not_a_viewing",
         "verdict_message": "'Titans: Season 1: Hank and\\tDawn' is an episode of 'Titans', "
                            "not a film; drop the file into shows/ to import its episodes."},
        # a colon in a film's name is no season label; a date the order cannot read fails
        {"title": "Pacific Rim: Uprising", "viewing_date": "21/7/20", "season": "",
         "verdict": "invalid_date",
         "verdict_message": "The date '21/7/20' is not a real month/day/year date."},
    ]  # fmt: skip
