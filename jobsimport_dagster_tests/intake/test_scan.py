"""Completeness across ticks, what the scan ignores, the cap and the cursor (SPEC §4)."""

import json

import pytest

from jobsimport_dagster.intake.scan import (
    MAX_ACCEPTED_PER_TICK,
    Entry,
    ImportType,
    dump_cursor,
    load_cursor,
    scan,
    watched_folder,
)


def entry(path: str, size: int = 100, mtime_ns: int = 1, **kwargs: bool) -> Entry:
    folder, name = path.rsplit("/", 1)
    flags = {"is_symlink": False, "is_file": True} | kwargs
    return Entry(folder, name, size, mtime_ns, uid=1000, **flags)


def two_ticks(entries: list[Entry]) -> list[str]:
    """Paths taken by the second of two ticks that saw the same entries."""
    first = scan(entries, {})
    assert first.candidates == ()
    return [c.path for c in scan(entries, json.loads(dump_cursor(first.cursor))).candidates]


def test_new_file_waits_one_tick_then_is_taken_with_its_folder_settings() -> None:
    first = scan([entry("shows/dry-run/diary.csv")], {})
    assert first.candidates == ()
    second = scan([entry("shows/dry-run/diary.csv")], first.cursor)
    [candidate] = second.candidates
    assert (candidate.folder.import_type, candidate.folder.dry_run) == (ImportType.SHOWS, True)
    assert (candidate.name, candidate.size, candidate.uid) == ("diary.csv", 100, 1000)
    assert second.cursor == {}  # a taken file leaves the cursor (it is moved this tick)


def test_growing_file_is_waited_for_until_unchanged() -> None:
    cursor = scan([entry("movies/a.csv", size=10)], {}).cursor
    grew = scan([entry("movies/a.csv", size=20)], cursor)  # size changed since the last tick
    assert grew.candidates == ()
    touched = scan([entry("movies/a.csv", size=20, mtime_ns=2)], grew.cursor)  # mtime changed
    assert touched.candidates == ()
    settled = scan([entry("movies/a.csv", size=20, mtime_ns=2)], touched.cursor)
    assert [c.path for c in settled.candidates] == ["movies/a.csv"]


@pytest.mark.parametrize(
    "ignored",
    [
        entry("movies/.diary.csv"),  # hidden
        entry("movies/diary.csv.part"),  # partial download
        entry("movies/diary.csv.TMP"),  # temporary copy, any case
        entry("movies/diary.csv.error.txt"),  # our own reason file
        entry("movies/diary.csv", is_symlink=True),  # symlink: never followed
        entry("movies/dry-run", is_file=False),  # a directory
        entry("movies/sub/diary.csv"),  # nested deeper than a watched folder
        entry("movies/dry-run/sub/diary.csv"),  # nested below dry-run
        entry("archive/movies-20240101T000000-x-12345678.csv"),  # our archive
        entry("rejected/20240101T000000-x.zip"),  # our rejects
        entry("failed/k.failed.csv"),  # failed-rows exports
        entry("uploads/diary.csv"),  # the root's own files are not imports
        entry("films/diary.csv"),  # an unknown folder
    ],
)
def test_scan_ignores(ignored: Entry) -> None:
    assert two_ticks([ignored]) == []
    assert scan([ignored], {}).cursor == {}


def test_every_watched_folder_is_taken() -> None:
    entries = [
        entry(f"{folder.path}/x.csv")
        for folder in (
            watched_folder("movies", False),
            watched_folder("movies", True),
            watched_folder("shows", False),
            watched_folder("shows", True),
        )
    ]
    assert sorted(two_ticks(entries)) == sorted(e.path for e in entries)


def test_at_most_fifty_per_tick_oldest_first_and_the_rest_stay_ready() -> None:
    entries = [entry(f"movies/f{n:03}.csv", mtime_ns=1000 - n) for n in range(120)]
    first = scan(entries, {})
    second = scan(entries, first.cursor)
    assert len(second.candidates) == MAX_ACCEPTED_PER_TICK
    assert second.candidates[0].path == "movies/f119.csv"  # oldest mtime first
    taken = {c.path for c in second.candidates}
    rest = [e for e in entries if e.path not in taken]
    assert set(second.cursor) == {e.path for e in rest}
    third = scan(rest, second.cursor)  # no new wait for files already seen complete
    assert len(third.candidates) == MAX_ACCEPTED_PER_TICK


@pytest.mark.parametrize(
    "text",
    [
        None,  # the sensor's first tick
        "",  # an empty cursor
        "not json",  # garbage: files wait one more tick
        "[1, 2]",  # JSON but not an object
        '{"movies/a.csv": "100"}',  # an entry of the wrong shape is dropped
    ],
)
def test_load_cursor_tolerates_unreadable_cursors(text: str | None) -> None:
    assert load_cursor(text) == {}


def test_cursor_round_trips_through_json() -> None:
    cursor = scan([entry("movies/a.csv", size=7, mtime_ns=1_700_000_000_123_456_789)], {}).cursor
    assert load_cursor(dump_cursor(cursor)) == {"movies/a.csv": [7, 1_700_000_000_123_456_789]}
