"""Remembered match choices (SPEC §12): an IMDb ID the user gave, by source title + year and by
Letterboxd URI, so a later import of the same title takes it without asking again."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from jobsimport_dagster.db.tables import match_choices

ChoiceKey = tuple[str, str]  # (import type, source key)


def get_choices(conn: sa.Connection, keys: Iterable[ChoiceKey]) -> dict[ChoiceKey, str]:
    """The remembered IMDb IDs among `keys`, in one query."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    query = sa.select(
        match_choices.c.import_type, match_choices.c.source_key, match_choices.c.imdb_id
    ).where(sa.tuple_(match_choices.c.import_type, match_choices.c.source_key).in_(wanted))
    return {(r.import_type, r.source_key): r.imdb_id for r in conn.execute(query)}


_NEW_CHOICE = insert(match_choices)
_UPSERT_CHOICE = _NEW_CHOICE.on_conflict_do_update(
    index_elements=["import_type", "source_key"],
    set_={"imdb_id": _NEW_CHOICE.excluded.imdb_id, "chosen_at": sa.func.now()},
)


def put_choices(conn: sa.Connection, choices: Mapping[ChoiceKey, str]) -> None:
    """Remember these choices; the user's latest choice for a key replaces an earlier one."""
    if not choices:
        return
    conn.execute(
        _UPSERT_CHOICE,
        [
            {"import_type": import_type, "source_key": key, "imdb_id": imdb_id}
            for (import_type, key), imdb_id in sorted(choices.items())
        ],
    )
