"""`import_job` on Netflix viewing histories: one show-season record each, never posted twice."""

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from jobsimport_dagster.sources.template import SHOWS_TEMPLATE
from jobsimport_dagster.standins.catalogue import ShowsShape
from jobsimport_dagster.standins.omdb import EN_DASH, synthesize_record, synthetic_year
from jobsimport_dagster_tests.defs.imports import test_jobs
from jobsimport_dagster_tests.defs.imports.test_jobs import Importer

# The job tests' fixtures: the stand-ins, and an importer on a fresh database and instance.
standins = test_jobs.standins
importer = test_jobs.importer

HISTORY = "netflix/netflix_us_NetflixViewingHistory_tsachit.csv"
# (show, season, startedDate, line of the row that carries the record) of every show-season in
# HISTORY, counted apart from the adapter by a throwaway script: csv.reader, titles split on
# ": " from the right at `Season N`/`Part N`/`Book N`/`Series N`/`Limited Series` with an
# episode after it, dates read as %m/%d/%y; per (show, season) the earliest date, and on that
# day the highest line (Netflix lists the latest viewing first).
SHOW_SEASONS = [
    ("13 Reasons Why", 1, "2020-06-15", 153),
    ("13 Reasons Why", 4, "2020-06-20", 152),
    ("Agent Raghav", 1, "2020-02-05", 279),
    ("Altered Carbon", 1, "2020-03-01", 252),
    ("Another Life", 1, "2020-10-09", 49),
    ("Archer", 1, "2020-02-15", 266),
    ("Bard of Blood", 1, "2020-01-25", 302),
    ("Biohackers", 1, "2020-08-22", 80),
    ("Brooklyn Nine-Nine", 1, "2020-04-22", 197),
    ("Bureau of Magical Things", 1, "2020-10-18", 15),
    ("Cursed", 1, "2020-07-28", 105),
    ("Dark", 1, "2020-05-08", 190),
    ("Dark", 2, "2020-05-23", 177),
    ("Dark", 3, "2020-06-27", 140),
    ("Dirk Gently's Holistic Detective Agency", 1, "2020-03-02", 250),
    ("Dracula", 1, "2020-01-13", 334),
    ("Fauda", 1, "2020-04-20", 203),
    ("Hasmukh", 1, "2020-04-18", 209),
    ("How to Sell Drugs Online (Fast)", 1, "2020-08-04", 96),
    ("I Am Not Okay With This", 1, "2020-10-12", 43),
    ("Into the Night", 1, "2020-05-14", 188),
    ("Jamtara - Sabka Number Ayega", 1, "2020-01-11", 339),
    ("Locke & Key", 1, "2020-02-08", 276),
    ("Lucifer", 1, "2019-12-27", 424),
    ("Lucifer", 2, "2019-12-27", 412),
    ("Mars", 1, "2020-10-07", 52),
    ("Money Heist", 1, "2019-12-27", 404),
    ("Money Heist", 2, "2019-12-27", 391),
    ("Money Heist", 3, "2019-12-27", 382),
    ("Money Heist", 4, "2020-04-03", 229),
    ("October Faction", 1, "2020-01-26", 298),
    ("Omniscient", 1, "2020-02-27", 256),
    ("Peaky Blinders", 1, "2020-04-01", 231),
    ("Peaky Blinders", 2, "2020-04-12", 215),
    ("Peaky Blinders", 3, "2020-04-23", 196),
    ("Queen Sono", 1, "2020-03-11", 241),
    ("Ragnarok", 1, "2020-02-03", 285),
    ("Rise of Empires: Ottoman", 1, "2020-01-24", 305),
    ("Selection Day", 1, "2020-02-26", 260),
    ("Sex, Explained", 1, "2020-03-31", 233),
    ("She", 1, "2020-03-23", 237),
    ("Sherlock", 3, "2020-03-25", 236),
    ("Sherlock", 4, "2020-03-25", 235),
    ("Space Force", 1, "2020-05-31", 164),
    ("Star Trek: Discovery", 1, "2020-08-17", 84),
    ("Teenage Bounty Hunters", 1, "2020-10-04", 60),
    ("That '70s Show", 1, "2020-08-23", 74),
    ("The Gift", 1, "2020-02-05", 278),
    ("The Good Place", 1, "2020-10-12", 42),
    ("The Indian Detective", 1, "2020-01-13", 326),
    ("The Last Kids on Earth", 1, "2020-10-19", 10),
    ("The New Legends of Monkey", 1, "2020-08-02", 101),
    ("The Order", 2, "2020-06-26", 142),
    ("The Protector", 1, "2020-03-07", 245),
    ("The Thundermans", 1, "2020-10-07", 54),
    ("The Umbrella Academy", 1, "2020-08-06", 95),
    ("The Witcher", 1, "2019-12-27", 425),
    ("Titans", 1, "2020-01-12", 335),
    ("Titans", 2, "2020-01-19", 307),
    ("Travelers", 1, "2019-12-30", 371),
    ("Travelers", 2, "2020-01-04", 359),
    ("Travelers", 3, "2020-01-04", 347),
    ("Trollhunters: Tales of Arcadia", 1, "2020-10-14", 39),
    ("Trollhunters: Tales of Arcadia", 2, "2020-10-20", 7),
    ("Troy: Fall of a City", 1, "2020-05-28", 165),
    ("Warrior Nun", 1, "2020-07-03", 136),
    ("Wizards: Tales of Arcadia", 1, "2020-10-09", 48),
]
ROWS = 424  # lines after the header
NOT_A_SHOW = 73  # films and the two titles whose season has only a name (see the script)
EPISODES = ROWS - NOT_A_SHOW  # 351


def accept_history(importer: Importer, source: Path) -> str:
    """Drop a Netflix file in the shows folder, as the sensor registers it."""
    key = importer.accept(source, import_type="shows")
    with importer.engine.begin() as conn:
        conn.execute(
            sa.text("update jobsimport.import_jobs set source='netflix' where partition_key=:k"),
            {"k": key},
        )
    return key


def codes(rows: list[dict[str, Any]]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for row in rows:
        name = row["error_code"] or row["status"]
        counted[name] = counted.get(name, 0) + 1
    return counted


def catalogue_record(show: str, season: int, started: str) -> dict[str, Any]:
    """A record as an earlier `POST /shows` of this show-season left it."""
    omdb = synthesize_record(show, synthetic_year(show, "series"), "series")
    return {
        "title": f"{show} Season {season}",
        "seasonNumber": season,
        "showName": show,
        "description": "",
        "language": "",
        "year": synthetic_year(show, "series"),
        "genre": "",
        "startedDate": f"{started}T00:00:00.000Z",
        "status": "Started",
        "imdbRating": None,
        "imdbId": omdb["imdbID"],
        "posterUrl": None,
        "tmdbId": None,
        "loved": True,
    }


def test_history_imports_one_record_per_show_season(importer: Importer, sample_data: Path) -> None:
    key = accept_history(importer, sample_data / HISTORY)
    result = importer.run(key)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    rows = importer.rows(key)
    assert len(rows) == ROWS
    assert codes(rows) == {
        "success": len(SHOW_SEASONS),  # 67
        "duplicate_in_file": EPISODES - len(SHOW_SEASONS),  # 284
        "not_a_show": NOT_A_SHOW,
    }
    job = importer.job(key)
    assert (job.status, job.total_rows, job.success_rows, job.skipped_rows) == (
        "completed", ROWS, 67, 357
    )  # fmt: skip
    success = [r for r in rows if r["status"] == "success"]
    assert [
        (r["normalized_payload"]["show"], r["normalized_payload"]["season"],
         r["normalized_payload"]["viewing_date"], r["row_number"])
        for r in sorted(success, key=lambda r: (r["normalized_payload"]["show"],
                                                r["normalized_payload"]["season"]))
    ] == SHOW_SEASONS  # fmt: skip
    # Posted once each: `<show> Season <n>`, the provider's show name, the season's first date.
    stats = importer.standins.catalogue.standin.stats()
    assert (stats["stored"]["shows"], stats["duplicates"]) == (67, 0)
    assert stats["by_endpoint"]["GET /shows"] == 1  # the run's one read of the catalogue
    posted = importer.standins.catalogue.standin.records("shows")
    assert sorted(
        (r["showName"], r["seasonNumber"], r["startedDate"][:10], r["title"]) for r in posted
    ) == [(s, n, day, f"{s} Season {n}") for s, n, day, _ in SHOW_SEASONS]
    by_record = {r["id"]: r for r in posted}
    for row in success:
        body = row["normalized_payload"]["body"]
        assert by_record[row["target_record_id"]]["title"] == body["title"]
        # OMDb's series year is an en-dash range; the body takes its first year
        omdb_year = synthesize_record(body["showName"], body["year"], "series")["Year"]
        assert EN_DASH in omdb_year and int(omdb_year[:4]) == body["year"]
        assert (body["status"], body["loved"], body["tmdbId"]) == ("Started", True, None)
        assert body["startedDate"].endswith("T00:00:00.000Z")
    # The carrying row of Money Heist Part 1 is its Episode 1, the last of 13 lines of 12/27/19.
    by_line = {r["row_number"]: r for r in rows}
    assert by_line[404]["raw_payload"]["Title"] == "Money Heist: Part 1: Episode 1"
    assert by_line[403]["error_message"] == "'Money Heist Season 1' repeats line 404 of this file."
    # TABs inside an episode title do not split its show-season
    assert by_line[308]["raw_payload"]["Title"] == "Titans: Season 1: Dick\tGrayson"
    assert by_line[308]["error_code"] == "duplicate_in_file"
    assert by_line[45]["error_message"] == (
        "'Hubie Halloween' has no season label (like 'Season 1' or 'Part 2'), "
        "so it is not a show's episode."
    )


@pytest.mark.parametrize("shape", list(ShowsShape))
def test_reimporting_the_history_posts_nothing(
    importer: Importer, sample_data: Path, shape: ShowsShape
) -> None:
    # GET /shows answers one record per season, or one per show with nested `seasons`
    importer.standins.catalogue.standin.configure(shows_shape=shape)
    assert importer.run(accept_history(importer, sample_data / HISTORY)).success
    again = accept_history(importer, sample_data / HISTORY)
    assert importer.run(again).success
    stats = importer.standins.catalogue.standin.stats()
    assert (stats["stored"]["shows"], stats["duplicates"]) == (67, 0)
    assert codes(importer.rows(again)) == {
        "already_imported": 67,
        "duplicate_in_file": 284,
        "not_a_show": 73,
    }


@pytest.mark.parametrize("shape", list(ShowsShape))
def test_show_seasons_the_catalogue_has_are_not_posted(
    importer: Importer, sample_data: Path, shape: ShowsShape
) -> None:
    # Dark's three seasons were posted before, by hand: in one show record when nested
    known = [s for s in SHOW_SEASONS if s[0] == "Dark"]
    importer.standins.catalogue.standin.seed_records(
        shows=[catalogue_record(show, season, day) for show, season, day, _ in known]
    )
    importer.standins.catalogue.standin.configure(shows_shape=shape)
    key = accept_history(importer, sample_data / HISTORY)
    assert importer.run(key).success
    rows = importer.rows(key)
    assert sorted(r["row_number"] for r in rows if r["error_code"] == "exists_in_api") == sorted(
        line for *_, line in known
    )
    stats = importer.standins.catalogue.standin.stats()
    assert (stats["stored"]["shows"], stats["duplicates"]) == (67, 0)
    assert codes(rows)["success"] == 64


def test_shows_template_with_an_imdb_id_imports(importer: Importer, tmp_path: Path) -> None:
    # The header `jobsimport template shows` prints; a row with an IMDb ID (no search), and a
    # show-season found by name, listed twice: its earlier start carries it
    source = tmp_path / "my shows.csv"
    source.write_text(
        ",".join(SHOWS_TEMPLATE.header) + "\n"
        "Breakout Kings,2,2025-01-17,tt1590961\n"
        "Severance,1,2024-05-02,\n"
        "Severance,1,2024-05-01,\n",
        encoding="utf-8",
    )
    key = importer.accept(source, import_type="shows")
    with importer.engine.begin() as conn:
        conn.execute(sa.text("update jobsimport.import_jobs set source='template'"))
    assert importer.run(key).success
    rows = importer.rows(key)
    assert [(r["row_number"], r["status"], r["error_code"]) for r in rows] == [
        (2, "success", None),
        (3, "skipped", "duplicate_in_file"),
        (4, "success", None),
    ]
    bodies = [r["normalized_payload"]["body"] for r in rows if r["status"] == "success"]
    # Breakout Kings by its given ID: the real OMDb record, whose en-dash range 2011-2012 is 2011
    assert [(b["title"], b["imdbId"], b["year"], b["startedDate"]) for b in bodies] == [
        ("Breakout Kings Season 2", "tt1590961", 2011, "2025-01-17T00:00:00.000Z"),
        ("Severance Season 1", bodies[1]["imdbId"], bodies[1]["year"],
         "2024-05-01T00:00:00.000Z"),
    ]  # fmt: skip


def test_a_show_omdb_cannot_find_by_name_comes_from_the_imdb_fallback(
    importer: Importer, tmp_path: Path
) -> None:
    # OMDb answers "not found" to Breakout Kings by name; IMDb's search knows the series, and
    # OMDb's record for that ID (the real one, years 2011 to 2012) is taken as a series.
    importer.standins.omdb.standin.configure(not_found=["Breakout Kings"])
    importer.standins.imdb.standin.add_entries(
        [{"id": "tt1590961", "l": "Breakout Kings", "q": "TV series", "qid": "tvSeries", "y": 2011}]
    )
    # A Netflix failed-rows CSV dropped back with an IMDb ID: Up is a film, not a series.
    source = tmp_path / "netflix-again.csv"
    source.write_text(
        "Title,Date,IMDb ID,line,error_code,error_message\n"
        "Breakout Kings: Season 2: Episode 1,1/13/20,,2,not_found,x\n"
        "Up: Season 1: Pilot,1/14/20,tt1049413,3,not_found,x\n",
        encoding="utf-8",
    )
    key = accept_history(importer, source)
    assert importer.run(key).success
    kings, up = importer.rows(key)
    assert kings["status"] == "success"
    assert kings["normalized_payload"]["route"] == "imdb_search"
    body = kings["normalized_payload"]["body"]
    assert (body["title"], body["imdbId"], body["year"], body["startedDate"]) == (
        "Breakout Kings Season 2",
        "tt1590961",
        2011,
        "2020-01-13T00:00:00.000Z",
    )
    assert (up["status"], up["error_code"]) == ("failed", "wrong_type")
    assert importer.standins.catalogue.standin.stats()["stored"]["shows"] == 1
