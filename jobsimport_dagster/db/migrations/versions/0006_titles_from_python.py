"""`row_titles` written by the validate step, not by a trigger on `import_rows`.

Supersedes the insert trigger of 0004: `db.rows.insert_rows` folds each row's title in Python
and copies the titles into `row_titles` by a second COPY in the same transaction. On a 10 MiB
diary (136,622 rows) the trigger's statement (reading the payloads' fields, the SQL fold,
the join for the import type, ON CONFLICT) took about 1.0 s after the rows' COPY, which
takes about 0.9 s into a bare table; the COPY of the folded titles takes about 0.3 s. The
delete trigger stays: rows are deleted by several paths (a job's cascade among them), and
their titles must go with them. `jobsimport.fold_text` served only the insert trigger; search
folds with `db.row_list.folded`, so it goes too.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import importlib

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP TRIGGER import_rows_titles ON jobsimport.import_rows")
    op.execute("DROP FUNCTION jobsimport.import_rows_titles()")
    op.execute("DROP FUNCTION jobsimport.fold_text(text)")


def downgrade() -> None:
    console = importlib.import_module("jobsimport_dagster.db.migrations.versions.0004_console")
    op.execute(console.FOLD_FUNCTION)
    console._statement_trigger(
        "import_rows_titles", "INSERT", "NEW TABLE AS new_rows", console._index_titles("new_rows")
    )
