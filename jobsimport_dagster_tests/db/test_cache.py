"""The enrichment cache against a real Postgres: upserts, and the 7-day life of "not found"."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from jobsimport_dagster.db.cache import CachedAnswer, get_answers, put_answers

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
FOUND = ("omdb", "t=up&y=2009&type=movie")
MISSING = ("omdb", "t=no such film&y=&type=movie")


def test_answers_are_stored_replaced_and_not_found_expires(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        put_answers(
            conn,
            {
                FOUND: CachedAnswer(found=True, response={"Title": "Up", "imdbID": "tt1049413"}),
                MISSING: CachedAnswer(found=False, response=None),
            },
            now=NOW,
        )
        # A newer answer for the same request replaces the stored one.
        put_answers(
            conn,
            {
                FOUND: CachedAnswer(
                    found=True, response={"Title": "Up", "imdbID": "tt1049413", "Year": "2009"}
                )
            },
            now=NOW,
        )
        today = get_answers(conn, [FOUND, MISSING], now=NOW)
        later = get_answers(conn, [FOUND, MISSING], now=NOW + timedelta(days=8))
    assert today == {
        FOUND: CachedAnswer(
            found=True, response={"Title": "Up", "imdbID": "tt1049413", "Year": "2009"}
        ),
        MISSING: CachedAnswer(found=False, response=None),
    }
    assert later == {FOUND: today[FOUND]}
