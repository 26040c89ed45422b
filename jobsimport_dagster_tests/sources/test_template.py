"""The templates: their columns, their mapping and the example row `jobsimport template` prints."""

import pandas as pd

from jobsimport_dagster.sources.template import MOVIES_TEMPLATE, SHOWS_TEMPLATE, TEMPLATES


def test_templates_have_the_spec_headers() -> None:
    assert MOVIES_TEMPLATE.header == ("Title", "Year", "Watched Date", "IMDb ID")
    assert SHOWS_TEMPLATE.header == ("Show", "Season", "Started Date", "IMDb ID")
    assert MOVIES_TEMPLATE.required_columns == ("Title", "Watched Date")
    assert SHOWS_TEMPLATE.required_columns == ("Show", "Season", "Started Date")
    assert TEMPLATES == {"movies": MOVIES_TEMPLATE, "shows": SHOWS_TEMPLATE}


def test_shows_template_maps_show_season_and_started_date() -> None:
    cells = pd.DataFrame([SHOWS_TEMPLATE.example_row], columns=list(SHOWS_TEMPLATE.header))
    row = SHOWS_TEMPLATE.map_frame(cells).iloc[0].to_dict()
    assert row == {
        "title": "Severance",
        "viewing_date": "2025-01-17",
        "year": "",
        "imdb_id": "tt11280740",
        "season": "2",
        "rating": "",
        "rewatch": "",
        "tags": "",
        "review": "",
        "source_uri": "",
    }


def test_movies_template_maps_title_and_watched_date() -> None:
    cells = pd.DataFrame([MOVIES_TEMPLATE.example_row], columns=list(MOVIES_TEMPLATE.header))
    row = MOVIES_TEMPLATE.map_frame(cells).iloc[0]
    assert (row["title"], row["viewing_date"], row["year"], row["imdb_id"], row["season"]) == (
        "The Matrix",
        "2024-05-01",
        "1999",
        "tt0133093",
        "",
    )
