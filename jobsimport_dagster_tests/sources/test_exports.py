"""Export zips' CSVs: which are read, by which adapter, and what each adds to the others."""

from pathlib import Path

import pandas as pd
import pytest

from jobsimport_dagster.sources import letterboxd
from jobsimport_dagster.sources.exports import (
    LETTERBOXD_EXPORT,
    NETFLIX_EXPORT,
    NETFLIX_EXPORT_FILMS,
    ReadCells,
    exports_in,
    film_key,
    locate,
    member_label,
)
from jobsimport_dagster.sources.netflix_activity import NetflixActivityAdapter
from jobsimport_dagster.sources.registry import get_export, row_source
from jobsimport_dagster_tests.export_zips import ACTIVITY, LETTERBOXD_FOLDER


def reader(folder: Path, present: tuple[str, ...]) -> ReadCells:
    """`ReadCells` over real files: each CSV as one chunk of text cells, None when absent."""

    def read(member: str) -> list[pd.DataFrame] | None:
        if member not in present:
            return None
        return [pd.read_csv(folder / member, dtype=str, keep_default_na=False)]

    return read


def test_film_key_ignores_case_and_spacing_but_not_the_year() -> None:
    assert film_key("La La  Land", "2016") == film_key(" la la land", "2016 ")
    assert film_key("Up", "2009") != film_key("Up", "")


@pytest.mark.parametrize(
    ("names", "path", "found"),
    [
        (["diary.csv", "watched.csv"], "diary.csv", "diary.csv"),
        # an export zipped again inside its own folder
        (["x/diary.csv", "x/watched.csv"], "diary.csv", "x/diary.csv"),
        # a zip of one folder: the export's own folder is no wrapper
        (["CONTENT_INTERACTION/ViewingActivity.csv"], "CONTENT_INTERACTION/ViewingActivity.csv",
         "CONTENT_INTERACTION/ViewingActivity.csv"),
        (["r/CONTENT_INTERACTION/ViewingActivity.csv", "r/PROFILES/Profiles.csv"],
         "CONTENT_INTERACTION/ViewingActivity.csv", "r/CONTENT_INTERACTION/ViewingActivity.csv"),
        # deeper than one folder, or beside other files, is not the export's place
        (["a/b/diary.csv"], "diary.csv", None),
        (["mine/diary.csv", "notes.txt"], "diary.csv", None),
    ],
)  # fmt: skip
def test_locate(names: list[str], path: str, found: str | None) -> None:
    assert locate(set(names), path) == found


def test_exports_in_names_each_export_once_per_type() -> None:
    assert exports_in(["diary.csv", "watched.csv"]) == [LETTERBOXD_EXPORT]
    assert exports_in(["CONTENT_INTERACTION/ViewingActivity.csv"]) == [
        NETFLIX_EXPORT,
        NETFLIX_EXPORT_FILMS,
    ]
    assert exports_in(["watched.csv", "ratings.csv"]) == []


def test_a_rows_source_is_its_csvs_inside_a_letterboxd_export() -> None:
    # watched.csv's films match earlier imports on title and year, as a dropped watched.csv's
    assert row_source("letterboxd-export", "watched.csv") == "letterboxd-watched"
    assert row_source("letterboxd-export", "diary.csv") == "letterboxd-diary"
    assert row_source("netflix-activity", "ViewingActivity.csv") == "netflix-activity"
    assert row_source("letterboxd-diary", "") == "letterboxd-diary"
    assert get_export("letterboxd-export", "movies") is LETTERBOXD_EXPORT
    assert get_export("netflix-activity", "shows") is NETFLIX_EXPORT
    assert member_label("CONTENT_INTERACTION/ViewingActivity.csv") == "ViewingActivity.csv"


def test_letterboxd_export_binds_diary_and_watched_from_the_real_files(
    sample_data: Path,
) -> None:
    folder = sample_data / LETTERBOXD_FOLDER
    read = reader(folder, ("diary.csv", "watched.csv", "ratings.csv", "reviews.csv"))
    (diary_path, diary), (watched_path, watched) = LETTERBOXD_EXPORT.bind(
        read, file_name="letterboxd.zip", netflix_profiles=()
    )
    assert (diary_path, watched_path) == ("diary.csv", "watched.csv")
    assert (diary.name, watched.name) == ("letterboxd-diary", "letterboxd-watched")

    (diary_cells,) = read("diary.csv") or []
    mapped = diary.map_frame(diary_cells).set_index("source_uri")
    # 105 of the diary's 317 entries have a review in reviews.csv (same entry URI); a
    # multi-line review is kept whole
    assert (mapped["review"] != "").sum() == 105
    assert mapped.loc["https://boxd.it/mDm0N", "review"] == "lol"
    assert "\n" in "".join(mapped["review"])
    # an entry without a rating of its own takes the film's from ratings.csv
    own = diary_cells.set_index("Letterboxd URI")["Rating"]
    assert (mapped["rating"] != "").sum() > (own != "").sum()
    assert (mapped["rating"][own != ""] == own[own != ""]).all()

    (watched_cells,) = read("watched.csv") or []
    verdicts = watched.map_frame(watched_cells)
    # 293 of watched.csv's 408 films have diary entries, which carry their viewings
    assert (verdicts["verdict"] == "duplicate_in_file").sum() == 293
    first_in_diary = verdicts[verdicts["verdict"] != ""].iloc[0]
    assert first_in_diary["verdict_message"].endswith(
        "has diary entries, which import its viewings."
    )
    # inside its export, watched.csv's own name settles what it is
    assert watched.refusal(list(letterboxd.WATCHED.required_columns), "watched.csv") is None


def test_letterboxd_export_without_watched_csv_reads_its_diary_only(sample_data: Path) -> None:
    read = reader(sample_data / LETTERBOXD_FOLDER, ("diary.csv",))
    bound = LETTERBOXD_EXPORT.bind(read, file_name="x.zip", netflix_profiles=())
    assert [path for path, _ in bound] == ["diary.csv"]


def test_netflix_export_binds_its_activity_with_the_profiles(sample_data: Path) -> None:
    def read(member: str) -> list[pd.DataFrame] | None:
        assert member == "CONTENT_INTERACTION/ViewingActivity.csv"
        return [pd.read_csv(sample_data / ACTIVITY, dtype=str, keep_default_na=False)]

    ((path, adapter),) = NETFLIX_EXPORT_FILMS.bind(
        read, file_name="netflix-report.zip", netflix_profiles=("User2",)
    )
    assert path == "CONTENT_INTERACTION/ViewingActivity.csv"
    assert isinstance(adapter, NetflixActivityAdapter)
    assert (adapter.type, adapter.chosen, len(adapter.profiles)) == ("movies", ("user2",), 4)
