"""Adapter detection: the header decides, the file name only where a header is shared."""

from pathlib import Path

import pytest

from jobsimport_dagster.errors import FileRejected
from jobsimport_dagster.sources import letterboxd, netflix, netflix_activity, template
from jobsimport_dagster.sources.registry import ADAPTERS, detect_adapter, get_adapter
from jobsimport_dagster.steps.read import read_header

WATCHED = ["Date", "Name", "Year", "Letterboxd URI"]
DIARY = [*WATCHED, "Rating", "Rewatch", "Tags", "Watched Date"]
RATINGS = [*WATCHED, "Rating"]
REVIEWS = [*WATCHED, "Rating", "Rewatch", "Review", "Tags", "Watched Date"]
MOVIES_TEMPLATE = ["Title", "Year", "Watched Date", "IMDb ID"]
SHOWS_TEMPLATE = ["Show", "Season", "Started Date", "IMDb ID"]
NETFLIX = ["Title", "Date"]
ACTIVITY = [
    "Profile Name", "Start Time", "Duration", "Attributes", "Title", "Supplemental Video Type",
    "Device Type", "Bookmark", "Latest Bookmark", "Country",
]  # fmt: skip
FAILED_CSV_COLUMNS = ["IMDb ID", "line", "error_code", "error_message", "candidates"]


@pytest.mark.parametrize(
    ("header", "file_name", "import_type", "adapter"),
    [
        # Letterboxd's own file names
        (WATCHED, "watched.csv", "movies", letterboxd.WATCHED),
        (DIARY, "diary.csv", "movies", letterboxd.DIARY),
        (RATINGS, "ratings.csv", "movies", letterboxd.RATINGS),
        (REVIEWS, "reviews.csv", "movies", letterboxd.REVIEWS),
        # the sample files' names say nothing Letterboxd knows: a diary header is a diary
        (DIARY, "agosvenezia_diary_2024-06-01.csv", "movies", letterboxd.DIARY),
        (DIARY, "extratone_diary_2024_crlf.csv", "movies", letterboxd.DIARY),
        # watched.csv's header under any name that is not a watchlist's or likes'
        (WATCHED, "export (1).csv", "movies", letterboxd.WATCHED),
        # columns in another order
        (list(reversed(DIARY)), "diary.csv", "movies", letterboxd.DIARY),
        # a UTF-8 BOM and spaces around names (Excel)
        (["\ufeffDate", " Name ", "Year ", " Letterboxd URI", "Rating", "Rewatch", "Tags",
          "Watched Date "], "diary.csv", "movies", letterboxd.DIARY),
        # the failed-rows CSV dropped back: IMDb ID and line/error_code/error_message/candidates
        ([*DIARY, *FAILED_CSV_COLUMNS], "movies-20240601t000000-diary-0a1b2c3d.failed.csv",
         "movies", letterboxd.DIARY),
        ([*WATCHED, *FAILED_CSV_COLUMNS], "x.failed.csv", "movies", letterboxd.WATCHED),
        # an unknown extra column is carried, not refused
        ([*DIARY, "Notes"], "diary.csv", "movies", letterboxd.DIARY),
        # the templates, each in its folder
        (MOVIES_TEMPLATE, "my movies.csv", "movies", template.MOVIES_TEMPLATE),
        (SHOWS_TEMPLATE, "my shows.csv", "shows", template.SHOWS_TEMPLATE),
        # a template without the optional IMDb ID and Year columns
        (["Title", "Watched Date"], "m.csv", "movies", template.MOVIES_TEMPLATE),
        (["Show", "Season", "Started Date"], "s.csv", "shows", template.SHOWS_TEMPLATE),
        # a trailing comma in the header (an unnamed last column)
        ([*MOVIES_TEMPLATE, ""], "m.csv", "movies", template.MOVIES_TEMPLATE),
        # Netflix's viewing history, and its failed-rows CSV dropped back
        (NETFLIX, "NetflixViewingHistory.csv", "shows", netflix.NETFLIX),
        ([*NETFLIX, *FAILED_CSV_COLUMNS], "x.failed.csv", "shows", netflix.NETFLIX),
        # in movies/, the same file imports its films
        (NETFLIX, "NetflixViewingHistory.csv", "movies", netflix.NETFLIX_FILMS),
        # Netflix's ViewingActivity.csv: episodes in shows/, films in movies/
        (ACTIVITY, "ViewingActivity.csv", "shows", netflix_activity.NETFLIX_ACTIVITY),
        (ACTIVITY, "ViewingActivity.csv", "movies", netflix_activity.NETFLIX_ACTIVITY_FILMS),
        # its failed-rows CSV dropped back
        ([*ACTIVITY, *FAILED_CSV_COLUMNS], "x.failed.csv", "shows",
         netflix_activity.NETFLIX_ACTIVITY),
    ],
)  # fmt: skip
def test_detect_adapter_picks_the_format(
    header: list[str], file_name: str, import_type: str, adapter: object
) -> None:
    assert detect_adapter(header, file_name, import_type) is adapter


@pytest.mark.parametrize(
    ("header", "file_name", "import_type", "reason"),
    [
        # watchlist.csv shares watched.csv's header: the name decides
        (WATCHED, "watchlist.csv", "movies",
         "watchlist.csv is a Letterboxd watchlist, not a watch history; "
         "drop watched.csv or diary.csv from the export instead."),
        (WATCHED, "my-Watchlist 2024.csv", "movies",
         "my-Watchlist 2024.csv is a Letterboxd watchlist, not a watch history; "
         "drop watched.csv or diary.csv from the export instead."),
        # likes/films.csv arrives as films.csv
        (WATCHED, "films.csv", "movies",
         "films.csv is a Letterboxd likes export, not a watch history; "
         "drop watched.csv or diary.csv from the export instead."),
        (WATCHED, "likes-films.csv", "movies",
         "likes-films.csv is a Letterboxd likes export, not a watch history; "
         "drop watched.csv or diary.csv from the export instead."),
        # a list export starts with a banner line where the header should be
        (["Letterboxd list export v7"], "best-of-2023.csv", "movies",
         "best-of-2023.csv is a Letterboxd list export, not a watch history; "
         "drop watched.csv or diary.csv from the export instead."),
        # the shows template dropped in movies/, and the reverse
        (SHOWS_TEMPLATE, "shows.csv", "movies",
         "shows.csv is a shows file (shows template), not movies; import it as shows instead "
         "(drop it in the shows folder)."),
        (MOVIES_TEMPLATE, "movies.csv", "shows",
         "movies.csv is a movies file (movies template), not shows; import it as movies instead "
         "(drop it in the movies folder)."),
        # a Letterboxd diary is movies only
        (DIARY, "diary.csv", "shows",
         "diary.csv is a movies file (Letterboxd diary), not shows; import it as movies instead "
         "(drop it in the movies folder)."),
        # incomplete Letterboxd header: the missing column is named
        (["Date", "Name", "Year"], "watched.csv", "movies",
         "The header lacks Letterboxd URI, which a Letterboxd watched file needs."),
        (["Date", "Name", "Year", "Rating", "Rewatch", "Tags", "Watched Date"], "diary.csv",
         "movies", "The header lacks Letterboxd URI, which a Letterboxd diary file needs."),
        # incomplete template header
        (["Title", "Year", "IMDb ID"], "m.csv", "movies",
         "The header lacks Watched Date, which a movies template file needs."),
        (["Show", "Started Date"], "s.csv", "shows",
         "The header lacks Season, which a shows template file needs."),
        # nothing known at all: each family's minimal header is listed
        (["foo", "bar"], "x.csv", "movies",
         "The header (foo, bar) is not a known movies format; expected a Letterboxd export "
         "(Date, Name, Year, Letterboxd URI) or the template (Title, Watched Date) or a Netflix "
         "viewing history (Title, Date) or a Netflix viewing activity (Profile Name, Start "
         "Time, Duration, Title, Supplemental Video Type)."),
        # half of ViewingActivity.csv's header: the missing columns are named
        (["Profile Name", "Start Time", "Title"], "ViewingActivity.csv", "movies",
         "The header lacks Duration, Supplemental Video Type, which a Netflix viewing activity "
         "file needs."),
        # half of Netflix's header
        (["Title", "Started"], "NetflixViewingHistory.csv", "shows",
         "The header lacks Date, which a Netflix viewing history file needs."),
        # nothing known at all, as shows: both shows families are listed
        (["foo", "bar"], "x.csv", "shows",
         "The header (foo, bar) is not a known shows format; expected the template "
         "(Show, Season, Started Date) or a Netflix viewing history (Title, Date) or a Netflix "
         "viewing activity (Profile Name, Start Time, Duration, Title, Supplemental Video "
         "Type)."),
        # a repeated column would lose cells
        (["Title", "Title", "Watched Date"], "m.csv", "movies",
         "The header repeats the column Title; keep one of each."),
    ],
)  # fmt: skip
def test_detect_adapter_rejects_with_one_plain_sentence(
    header: list[str], file_name: str, import_type: str, reason: str
) -> None:
    with pytest.raises(FileRejected) as rejected:
        detect_adapter(header, file_name, import_type)
    assert rejected.value.reason == reason


def test_detect_adapter_on_the_real_exports(sample_data: Path) -> None:
    files = sorted((sample_data / "letterboxd").glob("*.csv"))
    assert [f.name for f in files] == [
        "agosvenezia_diary_2024-06-01.csv",
        "extratone_diary_2024_crlf.csv",
    ]
    for path in files:
        assert detect_adapter(read_header(path), path.name, "movies") is letterboxd.DIARY
    history = sample_data / "netflix" / "netflix_us_NetflixViewingHistory_tsachit.csv"
    assert detect_adapter(read_header(history), history.name, "shows") is netflix.NETFLIX


def test_get_adapter_finds_a_jobs_source_by_name_and_type() -> None:
    # `template` names both templates: the import type tells them apart
    assert get_adapter("template", "shows") is template.SHOWS_TEMPLATE
    assert get_adapter("template", "movies") is template.MOVIES_TEMPLATE
    for adapter in ADAPTERS:
        assert get_adapter(adapter.name, adapter.type) is adapter
    # Netflix's files import as movies too (their films)
    assert get_adapter("netflix", "movies") is netflix.NETFLIX_FILMS
    with pytest.raises(KeyError):
        get_adapter("letterboxd-diary", "shows")


def test_adapter_names_are_the_spec_source_tags() -> None:
    assert {(a.name, a.type) for a in ADAPTERS} == {
        ("letterboxd-watched", "movies"),
        ("letterboxd-diary", "movies"),
        ("letterboxd-ratings", "movies"),
        ("letterboxd-reviews", "movies"),
        ("template", "movies"),
        ("template", "shows"),
        ("netflix", "shows"),
        ("netflix", "movies"),
        ("netflix-activity", "shows"),
        ("netflix-activity", "movies"),
    }
