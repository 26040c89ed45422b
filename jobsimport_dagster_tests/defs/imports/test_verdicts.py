"""`import_job` on SPEC §12's match traps: no wrong record is ever posted, every trap row is
`verified` to the right title or `ambiguous_match` with it among its candidates, and an IMDb ID
the user fills in is imported and remembered by later imports."""

import csv
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from jobsimport_dagster.db.tables import match_choices
from jobsimport_dagster_tests.defs.imports import test_jobs
from jobsimport_dagster_tests.defs.imports.test_jobs import Importer

# The job tests' fixtures: the stand-ins, and an importer on a fresh database and instance.
standins = test_jobs.standins
importer = test_jobs.importer

MOVIE_TRAPS = "traps/movies_traps.csv"
SHOW_TRAPS = "traps/shows_traps.csv"
# line -> (verdict, the right title's IMDb ID) of each row of MOVIE_TRAPS
MOVIE_VERDICTS = {
    2: ("ambiguous_match", "tt4772188"),  # Flow 2024: the feature and a short of that year
    3: ("verified", "tt3369806"),  # Max 2015, though `t=` answers Mad Max: Fury Road
    4: ("verified", "tt0910970"),  # WALL·E, though `t=` answers Walls Have Ears
    5: ("ambiguous_match", "tt0110413"),  # Leon: only Léon: The Professional answers
    6: ("verified", "tt3281548"),  # Little Women 2019, a remake in 2018
    7: ("ambiguous_match", "tt3281548"),  # Little Women without a year: 2019, 2018, 1994
    8: ("verified", "tt0211915"),  # Amelie, typed without its accent
}
DIARY = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n"


def _as_template(importer: Importer, key: str) -> None:
    with importer.engine.begin() as conn:
        conn.execute(
            sa.text("update jobsimport.import_jobs set source='template' where partition_key=:k"),
            {"k": key},
        )


def _failed_csv(importer: Importer, key: str) -> tuple[list[str], list[dict[str, str]]]:
    path = importer.root / "failed" / f"{key}.failed.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _drop_back(tmp_path: Path, key: str, columns: list[str], records: list[dict[str, str]]) -> Path:
    fixed = tmp_path / f"{key}.failed.csv"
    with fixed.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(records)
    return fixed


def _posted(importer: Importer, kind: str) -> list[dict[str, Any]]:
    return importer.standins.catalogue.standin.records(kind)


def test_the_movie_traps_post_no_wrong_record(importer: Importer, sample_data: Path) -> None:
    key = importer.accept(sample_data / MOVIE_TRAPS)
    _as_template(importer, key)
    result = importer.run(key)
    assert result.success
    rows = {r["row_number"]: r for r in importer.rows(key)}
    verdicts = {
        line: (row["normalized_payload"]["match_verdict"]["verdict"], row)
        for line, row in rows.items()
    }
    assert {line: verdict for line, (verdict, _) in verdicts.items()} == {
        line: verdict for line, (verdict, _) in MOVIE_VERDICTS.items()
    }
    for line, (verdict, right) in MOVIE_VERDICTS.items():
        row = rows[line]
        evidence = row["normalized_payload"]["match_verdict"]
        if verdict == "verified":
            assert row["status"] == "success"
            assert row["normalized_payload"]["body"]["imdbId"] == right
            assert evidence["candidates"][0]["imdb_id"] == right
        else:
            assert (row["status"], row["error_code"]) == ("failed", "ambiguous_match")
            assert right in {c["imdb_id"] for c in evidence["candidates"][:3]}
    # Every record posted is the right title of its row: none is a guess.
    right_ids = {right for verdict, right in MOVIE_VERDICTS.values() if verdict == "verified"}
    posted = _posted(importer, "movies")
    assert sorted(r["imdbId"] for r in posted) == sorted(right_ids)
    # The failed-rows CSV lists each ambiguous row's candidates for the user to choose from.
    columns, records = _failed_csv(importer, key)
    assert columns[-1] == "candidates"
    by_line = {int(r["line"]): r for r in records}
    assert set(by_line) == {n for n, (v, _) in MOVIE_VERDICTS.items() if v == "ambiguous_match"}
    flow = by_line[2]["candidates"].split(" | ")
    assert sorted(flow) == ["tt4772188 Flow (2024, movie)", "tt9900101 Flow (2024, short)"]
    assert by_line[5]["candidates"].startswith("tt0110413 Léon: The Professional (1994, movie)")
    assert len(by_line[7]["candidates"].split(" | ")) == 3
    # The import's metadata counts the verdicts (SPEC §12).
    (materialization,) = [
        e.event_specific_data.materialization for e in result.get_asset_materialization_events()
    ]
    counts = {k: v.value for k, v in materialization.metadata.items() if k.startswith("verdict_")}
    assert counts == {
        "verdict_given_id": 0, "verdict_remembered": 0, "verdict_verified": 4,
        "verdict_ambiguous_match": 3,
    }  # fmt: skip


def test_the_uk_and_us_series_of_one_name_is_not_guessed(
    importer: Importer, sample_data: Path
) -> None:
    key = importer.accept(sample_data / SHOW_TRAPS, import_type="shows")
    _as_template(importer, key)
    assert importer.run(key).success
    (row,) = importer.rows(key)
    assert (row["status"], row["error_code"]) == ("failed", "ambiguous_match")
    _, (record,) = _failed_csv(importer, key)
    assert sorted(record["candidates"].split(" | ")) == [
        "tt0377260 Shameless (2004, series)",
        "tt1586680 Shameless (2011, series)",
    ]
    assert _posted(importer, "shows") == []


def test_an_imdb_id_filled_in_imports_the_row_and_later_imports_remember_it(
    importer: Importer, tmp_path: Path
) -> None:
    # A Letterboxd diary: Flow 2024 is ambiguous (a feature and a short).
    diary = tmp_path / "diary.csv"
    diary.write_text(
        f"{DIARY}2024-12-01,Flow,2024,https://boxd.it/flow1,5,,,2024-12-01\n", encoding="utf-8"
    )
    first = importer.accept(diary)
    assert importer.run(first).success
    columns, records = _failed_csv(importer, first)
    assert [r["error_code"] for r in records] == ["ambiguous_match"]
    # The user picks the feature from the candidates and drops the file back in.
    (record,) = records
    assert "tt4772188 Flow (2024, movie)" in record["candidates"]
    record["IMDb ID"] = "tt4772188"
    again = importer.accept(_drop_back(tmp_path, first, columns, records))
    assert importer.run(again).success
    (row,) = importer.rows(again)
    assert row["status"] == "success", row["error_message"]
    assert row["normalized_payload"]["match_verdict"]["verdict"] == "given_id"
    assert row["normalized_payload"]["body"]["imdbId"] == "tt4772188"
    with importer.engine.connect() as conn:
        remembered = {(r.source_key, r.imdb_id) for r in conn.execute(sa.select(match_choices))}
    assert remembered == {
        ("uri:https://boxd.it/flow1", "tt4772188"),
        ("title:flow|2024", "tt4772188"),
    }
    # Next month's export: a rewatch (a new URI, same title and year) and the first entry with
    # its title typed otherwise (the same URI): both take the choice without asking again.
    later = tmp_path / "diary-later.csv"
    later.write_text(
        f"{DIARY}2025-01-10,Flow,2024,https://boxd.it/flow2,4,Yes,,2025-01-10\n"
        "2025-01-11,Flow (Straume),2024,https://boxd.it/flow1,5,,,2025-01-11\n",
        encoding="utf-8",
    )
    third = importer.accept(later)
    assert importer.run(third).success
    rows = importer.rows(third)
    assert [(r["status"], r["normalized_payload"]["match_verdict"]["verdict"]) for r in rows] == [
        ("success", "remembered"),
        ("success", "remembered"),
    ]
    posted = [r["imdbId"] for r in _posted(importer, "movies")]
    assert posted == ["tt4772188"] * 3
