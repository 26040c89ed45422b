"""Letterboxd adapters: which export a header is, and how its cells map."""

import pandas as pd
import pytest

from jobsimport_dagster.sources.base import MAPPED_COLUMNS
from jobsimport_dagster.sources.letterboxd import DIARY, REVIEWS, WATCHED, not_a_history_reason


def test_diary_maps_watched_date_and_keeps_the_never_sent_fields() -> None:
    cells = pd.DataFrame(
        {
            "Date": ["2023-09-02", "2023-09-03"],
            "Name": ["On the Line", '\'=HYPERLINK("x")'],
            "Year": ["2022", ""],
            "Letterboxd URI": ["https://boxd.it/4MNHxf", "https://boxd.it/4N42O9"],
            "Rating": ["1.5", "7"],
            "Rewatch": ["", "Yes"],
            "Tags": ["", "sierra, parables"],
            "Watched Date": ["2023-09-01", " "],
        }
    )
    mapped = DIARY.map_frame(cells)
    assert tuple(mapped.columns) == MAPPED_COLUMNS
    assert mapped.to_dict("records") == [
        {
            "title": "On the Line",
            # Watched Date, not the logging Date
            "viewing_date": "2023-09-01",
            "year": "2022",
            "imdb_id": "",
            "season": "",
            "rating": "1.5",
            "rewatch": "",
            "tags": "",
            "review": "",
            "source_uri": "https://boxd.it/4MNHxf",
        },
        {
            # the failed-rows CSV's guard removed; the formula itself is data
            "title": '=HYPERLINK("x")',
            # a blank Watched Date falls back to Date
            "viewing_date": "2023-09-03",
            "year": "",
            "imdb_id": "",
            "season": "",
            # a rating out of Letterboxd's range is carried as it is
            "rating": "7",
            "rewatch": "Yes",
            "tags": "sierra, parables",
            "review": "",
            "source_uri": "https://boxd.it/4N42O9",
        },
    ]


def test_watched_uses_date_and_reads_an_added_imdb_id() -> None:
    cells = pd.DataFrame(
        {
            "Date": ["2024-01-01"],
            "Name": ["Up"],
            "Year": ["2009"],
            "Letterboxd URI": ["https://boxd.it/x"],
            "IMDb ID": ["tt1049413"],
        }
    )
    row = WATCHED.map_frame(cells).iloc[0]
    assert (row["viewing_date"], row["imdb_id"]) == ("2024-01-01", "tt1049413")


def test_reviews_map_the_review_text() -> None:
    cells = pd.DataFrame(
        {
            "Date": ["2024-01-02"],
            "Name": ["Up"],
            "Year": ["2009"],
            "Letterboxd URI": ["https://boxd.it/x"],
            "Review": ["Line one,\nline two"],
            "Watched Date": ["2024-01-01"],
        }
    )
    row = REVIEWS.map_frame(cells).iloc[0]
    assert (row["review"], row["viewing_date"]) == ("Line one,\nline two", "2024-01-01")


@pytest.mark.parametrize(
    ("file_name", "refused"),
    [
        # Letterboxd's names of the non-histories
        ("watchlist.csv", True),
        ("films.csv", True),
        ("likes.csv", True),
        # a user's renaming keeps the telling word
        ("letterboxd-watchlist-2024.csv", True),
        ("my_liked_films.csv", True),
        # histories, and names that merely contain the letters
        ("watched.csv", False),
        ("diary.csv", False),
        ("unlikely films.csv", False),
        ("films-2024.csv", False),
    ],
)
def test_not_a_history_reason_reads_the_file_name(file_name: str, refused: bool) -> None:
    assert (not_a_history_reason(file_name) is not None) is refused
