"""Rows of an export zip keep the CSV they come from (SPEC §5): `import_rows.source_file`.

Each CSV inside a zip numbers its own lines, so a row is unique by (job, CSV, line) and shown
as `<csv name>:<line>`; a row of a dropped CSV has `source_file` ''.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "jobsimport"
OLD_KEY = "import_rows_job_id_row_number_key"
NEW_KEY = "import_rows_job_id_source_file_row_number_key"


def upgrade() -> None:
    op.add_column(
        "import_rows",
        sa.Column("source_file", sa.Text, nullable=False, server_default=""),
        schema=SCHEMA,
    )
    op.drop_constraint(OLD_KEY, "import_rows", schema=SCHEMA, type_="unique")
    op.create_unique_constraint(
        NEW_KEY, "import_rows", ["job_id", "source_file", "row_number"], schema=SCHEMA
    )


def downgrade() -> None:
    # Rows of zips would collide on (job, line): the downgrade refuses while any exist.
    op.execute(
        f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM {SCHEMA}.import_rows WHERE source_file <> '') "
        "THEN RAISE EXCEPTION 'rows of export zips exist; delete those imports first'; "
        "END IF; END $$"
    )
    op.drop_constraint(NEW_KEY, "import_rows", schema=SCHEMA, type_="unique")
    op.create_unique_constraint(OLD_KEY, "import_rows", ["job_id", "row_number"], schema=SCHEMA)
    op.drop_column("import_rows", "source_file", schema=SCHEMA)
