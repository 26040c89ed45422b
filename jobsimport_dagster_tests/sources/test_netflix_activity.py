"""Netflix `ViewingActivity.csv`: profiles chosen, trailers and short plays skipped, UTC dates."""

from pathlib import Path

import pandas as pd
import pytest

from jobsimport_dagster.sources.base import FileScoped
from jobsimport_dagster.sources.netflix import DateOrder
from jobsimport_dagster.sources.netflix_activity import (
    NETFLIX_ACTIVITY,
    NETFLIX_ACTIVITY_FILMS,
    NetflixActivityAdapter,
    duration_seconds,
    profile_from_name,
    profile_key,
    start_date_text,
)

ACTIVITY = "netflix/netflix_us_ViewingActivity_zwiora.csv"
HEADER = ("Profile Name", "Start Time", "Duration", "Title", "Supplemental Video Type")
CHOOSE = (
    "name one in the file name (ViewingActivity-profile-<name>.csv) or in "
    "JOBSIMPORT_NETFLIX_PROFILES."
)


def cells(*rows: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(HEADER), dtype=object)


def real_activity(sample_data: Path) -> pd.DataFrame:
    return pd.read_csv(sample_data / ACTIVITY, dtype=str, keep_default_na=False)


@pytest.mark.parametrize(
    ("file_name", "profile"),
    [
        # the name the export gives the file chooses nobody
        ("ViewingActivity.csv", None),
        # a profile after `-profile-`
        ("ViewingActivity-profile-User1.csv", "User1"),
        # a date-order suffix after it is not part of the name
        ("ViewingActivity-profile-anna-dmy.csv", "anna"),
        # a zip's name chooses for the file inside it
        ("netflix-report-profile-kids.zip", "kids"),
    ],
)
def test_profile_from_name(file_name: str, profile: str | None) -> None:
    assert profile_from_name(file_name) == profile


def test_profile_key_ignores_case_spaces_and_punctuation() -> None:
    # a file name cannot hold every character a profile name can
    assert profile_key("Kid's Room") == profile_key("kids-room") == "kidsroom"
    assert profile_key("Zoë") == "zoë"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2:06:58", 7618),
        ("0:04:59", 299),
        # minutes and seconds only
        ("12:30", 750),
        # not a duration: never judged short
        ("", None),
        ("about an hour", None),
    ],
)
def test_duration_seconds(text: str, seconds: int | None) -> None:
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize(
    ("start", "day"),
    [
        # this export's locale: month first, hours without padding
        ("7/28/2022 4:22", "7/28/2022"),
        # other exports: ISO date and time
        ("2022-07-28 04:22:00", "2022-07-28"),
        ("2022-07-28T04:22:00", "2022-07-28"),
    ],
)
def test_start_date_text(start: str, day: str) -> None:
    assert start_date_text(start) == day


def test_both_types_are_file_scoped() -> None:
    assert (NETFLIX_ACTIVITY.name, NETFLIX_ACTIVITY.type) == ("netflix-activity", "shows")
    assert (NETFLIX_ACTIVITY_FILMS.name, NETFLIX_ACTIVITY_FILMS.type) == (
        "netflix-activity",
        "movies",
    )
    assert isinstance(NETFLIX_ACTIVITY, FileScoped)


def test_for_file_reads_profiles_and_date_order_and_the_choice(sample_data: Path) -> None:
    frame = real_activity(sample_data)
    unchosen = NETFLIX_ACTIVITY.for_file("ViewingActivity.csv", [frame])
    assert unchosen.profiles == ("User1", "User2", "User3", "User4")
    assert unchosen.chosen == ()
    assert unchosen.date_order == DateOrder.MDY
    # the setting chooses when the name does not
    by_setting = NETFLIX_ACTIVITY.for_file(
        "ViewingActivity.csv", [frame], netflix_profiles=(" User2 ", "", "user-3")
    )
    assert by_setting.chosen == ("user2", "user3")
    # the name wins over the setting: it is the user's word for this one file
    by_name = NETFLIX_ACTIVITY.for_file(
        "ViewingActivity-profile-user1.csv", [frame], netflix_profiles=("User2",)
    )
    assert by_name.chosen == ("user1",)


def bound(
    adapter: NetflixActivityAdapter, *, chosen: tuple[str, ...] = (), profiles: int = 2
) -> NetflixActivityAdapter:
    # `12/31/2020` can only be month first: the file's order is settled
    rows = [(f"P{n}", "12/31/2020 3:00", "1:00:00", "x", "") for n in range(1, profiles + 1)]
    return adapter.for_file("a.csv", [cells(*rows)], netflix_profiles=chosen)


def verdicts(adapter: NetflixActivityAdapter, *rows: tuple[str, ...]) -> list[tuple[str, ...]]:
    mapped = adapter.map_frame(cells(*rows))
    columns = ["title", "viewing_date", "season", "verdict", "verdict_message"]
    return [tuple(r) for r in mapped[columns].itertuples(index=False)]


def test_shows_rows_in_order_of_their_verdicts() -> None:
    adapter = bound(NETFLIX_ACTIVITY, chosen=("P1",))
    assert verdicts(
        adapter,
        # an episode of the chosen profile: its show, season and UTC date
        ("P1", "12/31/2020 23:50", "0:42:00", "Dark: Season 3: The Origin", ""),
        # another profile: skipped whatever it is
        ("P2", "12/31/2020 23:50", "0:42:00", "Dark: Season 3: The Origin", ""),
        # a trailer, whatever its length
        ("P1", "7/28/2022 4:22", "0:10:25", "Season 1 Trailer: Heartstopper", "TRAILER"),
        # an autoplayed hook of seconds
        ("P1", "7/28/2022 4:21", "0:00:18", "Extinct: Clip: Genre Specific Moment", "HOOK"),
        # an episode started and left within 5 minutes
        ("P1", "1/2/2021 3:57", "0:04:59", "Dark: Season 1: Secrets", ""),
        # a film in shows/: not a show, as in the Title,Date history
        ("P1", "1/7/2021 2:33", "2:06:58", "Mud", ""),
    ) == [
        ("Dark", "2020-12-31", "3", "", ""),
        ("Dark: Season 3: The Origin", "12/31/2020", "", "other_profile",
         "The profile 'P2' is not imported: JOBSIMPORT_NETFLIX_PROFILES chooses 'P1'."),
        ("Season 1 Trailer: Heartstopper", "7/28/2022", "", "not_a_viewing",
         "'Season 1 Trailer: Heartstopper' is a trailer, not a viewing."),
        ("Extinct: Clip: Genre Specific Moment", "7/28/2022", "", "not_a_viewing",
         "'Extinct: Clip: Genre Specific Moment' is a hook, not a viewing."),
        ("Dark: Season 1: Secrets", "1/2/2021", "", "not_a_viewing",
         "'Dark: Season 1: Secrets' was played for 0:04:59, under 5 minutes: not a viewing."),
        ("Mud", "1/7/2021", "", "not_a_show",
         "'Mud' has no season label (like 'Season 1' or 'Part 2'), so it is not a show's "
         "episode."),
    ]  # fmt: skip


def test_films_in_movies_and_no_profile_chosen_among_several() -> None:
    adapter = bound(NETFLIX_ACTIVITY_FILMS)
    many = "The file holds the profiles 'P1', 'P2' and none is chosen; " + CHOOSE
    assert verdicts(
        adapter,
        # a film of exactly 5 minutes counts; with several profiles and no choice it fails
        ("P1", "1/7/2021 2:33", "0:05:00", "Mud", ""),
        # an episode in movies/ is no film viewing
        ("P2", "12/20/2020 2:54", "0:22:00", "Jeopardy!: Season 34: Episode #7597", ""),
        # a trailer is skipped before the profile matters
        ("P2", "7/28/2022 4:20", "0:00:09", "Trailer: Finding Ohana", "TRAILER"),
    ) == [
        ("Mud", "2021-01-07", "", "invalid_profile", many),
        ("Jeopardy!: Season 34: Episode #7597", "12/20/2020", "", "not_a_viewing",
         "'Jeopardy!: Season 34: Episode #7597' is an episode of 'Jeopardy!', not a film; "
         "drop the file into shows/ to import its episodes."),
        ("Trailer: Finding Ohana", "7/28/2022", "", "not_a_viewing",
         "'Trailer: Finding Ohana' is a trailer, not a viewing."),
    ]  # fmt: skip


def test_a_file_of_one_profile_needs_no_choice() -> None:
    adapter = bound(NETFLIX_ACTIVITY_FILMS, profiles=1)
    assert verdicts(adapter, ("P1", "1/7/2021 2:33", "2:06:58", "Mud", "")) == [
        ("Mud", "2021-01-07", "", "", "")
    ]


def test_the_real_activity_of_one_profile(sample_data: Path) -> None:
    # 387 lines, 66 of User1: 11 trailers or hooks, 25 plays under 5 minutes, then 17 films
    # and 13 episodes: in shows/ the films are not shows, in movies/ the episodes no films.
    frame = real_activity(sample_data)
    counts = {}
    for adapter in (NETFLIX_ACTIVITY, NETFLIX_ACTIVITY_FILMS):
        chosen = adapter.for_file("ViewingActivity-profile-user1.csv", [frame])
        mapped = chosen.map_frame(frame)
        counts[adapter.type] = mapped["verdict"].value_counts().to_dict()
    assert counts == {
        "shows": {"other_profile": 321, "not_a_viewing": 36, "not_a_show": 17, "": 13},
        "movies": {"other_profile": 321, "not_a_viewing": 49, "": 17},
    }
