"""Rows written straight into `import_rows`, as a later step leaves them, for tests of what reads
them: each row's title goes into `row_titles` as `insert_rows` writes it (by `search_titles`),
since no trigger does that any more (migration 0006)."""

import uuid
from typing import Any

import pandas as pd
import sqlalchemy as sa

from jobsimport_dagster.db import jobs
from jobsimport_dagster.db.tables import import_rows, row_titles
from jobsimport_dagster.steps.validate import search_titles

_SEED_COLUMNS = ["title", "show", "season"]


def store_row(conn: sa.Connection, job_id: uuid.UUID, **values: Any) -> None:
    """Insert one row (any columns) and its title; a row with a seed was valid when stored."""
    job = jobs.get_job(conn, job_id=job_id)
    assert job is not None
    conn.execute(import_rows.insert().values(job_id=job_id, **values))
    seed = values.get("normalized_payload")
    seeds = pd.DataFrame([seed] if seed else [], columns=_SEED_COLUMNS)
    cells = pd.DataFrame([values["raw_payload"]], dtype=object)
    [title] = search_titles(cells, seeds, [0] if seed else [], job.type)
    conn.execute(
        row_titles.insert().values(
            job_id=job_id,
            source_file=values.get("source_file", ""),
            row_number=values["row_number"],
            title=title,
        )
    )
