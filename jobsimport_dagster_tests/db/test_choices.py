"""Remembered match choices in Postgres: read in one query, the latest choice wins."""

import sqlalchemy as sa

from jobsimport_dagster.db.choices import get_choices, put_choices


def test_choices_are_read_back_by_type_and_key(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        put_choices(
            conn,
            {
                ("movies", "title:flow|2024"): "tt4772188",
                ("shows", "title:shameless|"): "tt0377260",
            },
        )
    with engine.connect() as conn:
        found = get_choices(
            conn,
            [("movies", "title:flow|2024"), ("shows", "title:flow|2024"), ("movies", "uri:x")],
        )
    # a choice made for a film is not one for a show of the same name
    assert found == {("movies", "title:flow|2024"): "tt4772188"}


def test_a_new_choice_for_a_key_replaces_the_old_one(engine: sa.Engine) -> None:
    key = ("movies", "uri:https://boxd.it/flow1")
    for imdb_id in ("tt9900101", "tt4772188"):
        with engine.begin() as conn:
            put_choices(conn, {key: imdb_id})
    with engine.connect() as conn:
        assert get_choices(conn, [key]) == {key: "tt4772188"}
        assert get_choices(conn, []) == {}
