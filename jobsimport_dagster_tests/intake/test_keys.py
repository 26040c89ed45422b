"""Partition keys: slug rules, UTC stamp, dry-run marker and clash suffixes (SPEC §4)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from jobsimport_dagster.intake.keys import base_key, first_free_key, slugify, utc_stamp

SHA = "ABCDEF0123456789" + "0" * 48
NOW = datetime(2024, 6, 1, 12, 34, 56, tzinfo=UTC)


@pytest.mark.parametrize(
    ("file_name", "slug"),
    [
        ("diary.csv", "diary"),  # plain stem
        ("My Diary (2024).csv", "my-diary-2024"),  # spaces and brackets become one dash each run
        ("--__weird__--.csv", "weird"),  # leading/trailing separators stripped
        ("Amélie & Ça.csv", "amelie-ca"),  # accents dropped, not turned into dashes
        ("日本語.csv", "file"),  # nothing left of the stem: `file`
        ("-.csv", "file"),  # stem of separators only: `file`
        ("a" * 45 + ".csv", "a" * 40),  # cut to 40
        ("a" * 39 + "-b.csv", "a" * 39),  # cut lands after a dash: no trailing dash
        ("diary.csv.csv", "diary-csv"),  # only the last suffix is the extension
        ("UPPER.CSV", "upper"),  # lower-cased
    ],
)
def test_slugify(file_name: str, slug: str) -> None:
    assert slugify(file_name) == slug
    assert 1 <= len(slug) <= 40


@pytest.mark.parametrize(
    ("import_type", "dry_run", "now", "key"),
    [
        # plain movies import
        ("movies", False, NOW, "movies-20240601T123456-diary-abcdef01"),
        # dry run marks the type
        ("shows", True, NOW, "shows-dry-20240601T123456-diary-abcdef01"),
        # a clock in another zone is converted to UTC
        (
            "movies",
            False,
            datetime(2024, 6, 1, 14, 34, 56, tzinfo=timezone(timedelta(hours=2))),
            "movies-20240601T123456-diary-abcdef01",
        ),
    ],
)
def test_base_key(import_type: str, dry_run: bool, now: datetime, key: str) -> None:
    assert (
        base_key(
            import_type=import_type, dry_run=dry_run, now=now, file_name="diary.csv", sha256=SHA
        )
        == key
    )


def test_utc_stamp_refuses_a_naive_clock() -> None:
    with pytest.raises(ValueError, match="aware"):
        utc_stamp(datetime(2024, 6, 1))


@pytest.mark.parametrize(
    ("taken", "key"),
    [
        (set(), "k"),  # free: the base itself
        ({"k"}, "k-2"),  # first clash: -2 (never -1)
        ({"k", "k-2", "k-3"}, "k-4"),  # clashes keep counting
        ({"k", "k-3"}, "k-2"),  # a gap is reused
        ({"k-2"}, "k"),  # a suffixed key alone does not take the base
    ],
)
def test_first_free_key(taken: set[str], key: str) -> None:
    assert first_free_key("k", taken) == key
