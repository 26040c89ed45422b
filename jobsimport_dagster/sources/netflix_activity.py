"""Netflix `ViewingActivity.csv` (SPEC §5): every profile's viewings, trailers and hooks included.

Only the chosen profiles are imported: those named by the file name (`…-profile-<name>.csv`),
else by the user's setting (`JOBSIMPORT_NETFLIX_PROFILES`); a file with several profiles and
none chosen fails every viewing `invalid_profile`, listing them. `Start Time` is UTC, so its
date is the viewing date. Titles read as in the `Title,Date` history (`netflix.map_title`).
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import PurePath
from typing import ClassVar, Self

import pandas as pd

from jobsimport_dagster.codes import RowCode
from jobsimport_dagster.sources.base import IMDB_ID_COLUMN, text_column
from jobsimport_dagster.sources.netflix import (
    DateOrder,
    NetflixColumns,
    decide_date_order,
    map_title,
    mapped_frame,
    read_date,
)

PROFILE = "Profile Name"
START = "Start Time"
DURATION = "Duration"
TITLE = "Title"
SUPPLEMENTAL = "Supplemental Video Type"
# Netflix counts autoplayed previews and abandoned starts as viewings; under this, none is one.
MIN_VIEWING_SECONDS = 5 * 60
_PROFILE_IN_NAME = re.compile(r"-profile-(?P<name>.+?)(?:-(?:dmy|mdy))?$", re.IGNORECASE)
_DURATION = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})")
_CHOOSE = (
    "name one in the file name (ViewingActivity-profile-<name>.csv) or in "
    "JOBSIMPORT_NETFLIX_PROFILES"
)


def profile_key(name: str) -> str:
    """A profile name as choices compare it: case, spaces and punctuation ignored, so the
    file name's `-profile-kid-s` chooses `Kid's`."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def profile_from_name(file_name: str) -> str | None:
    """The profile a file name chooses (`ViewingActivity-profile-anna.csv`: `anna`), else None."""
    match = _PROFILE_IN_NAME.search(PurePath(file_name).stem)
    return match["name"] if match else None


def start_date_text(start_time: str) -> str:
    """The date part of a `Start Time` (`7/28/2022 4:22` or `2022-07-28 04:22:00`)."""
    return start_time.replace("T", " ").split(" ", 1)[0]


def duration_seconds(text: str) -> int | None:
    """`H:MM:SS` (or `MM:SS`) as seconds; None when it is not a duration."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        return None
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


@dataclass(frozen=True)
class NetflixActivityAdapter(NetflixColumns):
    """`ViewingActivity.csv`, bound by `for_file` to its date order, its profiles and the choice.

    `chosen` holds the `profile_key`s to import (empty: every profile, which is right only when
    the file has one); `profiles` lists the file's profiles in order of appearance.
    """

    type: str
    date_order: DateOrder | None = None
    chosen: tuple[str, ...] = ()
    chosen_by: str = ""
    profiles: tuple[str, ...] = ()
    name: str = "netflix-activity"
    label: str = "Netflix viewing activity"
    family: str = "a Netflix viewing activity"
    required_columns: tuple[str, ...] = (PROFILE, START, DURATION, TITLE, SUPPLEMENTAL)
    optional_columns: tuple[str, ...] = (IMDB_ID_COLUMN,)
    date_column: ClassVar[str] = START

    def for_file(
        self, file_name: str, cells: Iterable[pd.DataFrame], *, netflix_profiles: Sequence[str] = ()
    ) -> Self:
        """This adapter with the file's date order and profiles (one pass over the file) and
        the profiles chosen: by the file name, else by the setting."""
        dates: set[str] = set()
        profiles: dict[str, None] = {}
        for chunk in cells:
            dates.update(start_date_text(text) for text in text_column(chunk, START))
            profiles.update(dict.fromkeys(text_column(chunk, PROFILE)))
        named = profile_from_name(file_name)
        if named is not None:
            chosen, chosen_by = (named,), f"the file name chooses {named!r}"
        else:
            chosen = tuple(p.strip() for p in netflix_profiles if p.strip())
            chosen_by = f"JOBSIMPORT_NETFLIX_PROFILES chooses {', '.join(map(repr, chosen))}"
        return replace(
            self,
            date_order=decide_date_order(file_name, sorted(dates)),
            chosen=tuple(profile_key(c) for c in chosen),
            chosen_by=chosen_by if chosen else "",
            profiles=tuple(p for p in profiles if p),
        )

    def map_frame(self, cells: pd.DataFrame) -> pd.DataFrame:
        """Each line as `netflix.map_title` reads it, after the activity's own verdicts."""
        texts = [start_date_text(t) for t in text_column(cells, START)]
        days = {text: read_date(text, self.date_order) for text in set(texts)}
        rows = [
            self._map_row(profile, title, text, days[text], duration, supplemental)
            for profile, title, text, duration, supplemental in zip(
                text_column(cells, PROFILE),
                text_column(cells, TITLE),
                texts,
                text_column(cells, DURATION),
                text_column(cells, SUPPLEMENTAL),
                strict=True,
            )
        ]
        return mapped_frame(rows, cells)

    def _map_row(
        self,
        profile: str,
        title: str,
        text: str,
        day: date | None,
        duration: str,
        supplemental: str,
    ) -> tuple[str, str, str, str, str]:
        """Another profile is `other_profile`; a trailer, hook or recap, or a viewing under 5
        minutes, `not_a_viewing`; then the title's own verdict (`not_a_show`…); then, when the
        file has several profiles and none is chosen, `invalid_profile`."""
        if self.chosen and profile_key(profile) not in self.chosen:
            message = f"The profile {profile!r} is not imported: {self.chosen_by}."
            return title, text, "", RowCode.OTHER_PROFILE, message
        if supplemental:
            message = f"{title!r} is a {supplemental.lower()}, not a viewing."
            return title, text, "", RowCode.NOT_A_VIEWING, message
        seconds = duration_seconds(duration)
        if seconds is not None and seconds < MIN_VIEWING_SECONDS:
            message = f"{title!r} was played for {duration}, under 5 minutes: not a viewing."
            return title, text, "", RowCode.NOT_A_VIEWING, message
        mapped = map_title(title, text, day, self.date_order, self.type)
        # A bad date is one more problem of the row (validation names it too); a skip is not.
        if mapped[3] in ("", RowCode.INVALID_DATE) and not self.chosen and len(self.profiles) > 1:
            message = (
                f"The file holds the profiles {', '.join(map(repr, self.profiles))} and none "
                f"is chosen; {_CHOOSE}."
            )
            return (*mapped[:3], RowCode.INVALID_PROFILE, message)
        return mapped


NETFLIX_ACTIVITY = NetflixActivityAdapter(type="shows")
NETFLIX_ACTIVITY_FILMS = NetflixActivityAdapter(type="movies")
