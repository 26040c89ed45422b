"""Import tables of SPEC §6, the enrichment cache and the OMDb day budget.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "jobsimport"
NOW = sa.text("now()")
UUID_DEFAULT = sa.text("gen_random_uuid()")


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    ]


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID_DEFAULT),
        sa.Column("partition_key", sa.Text, nullable=False, unique=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="queued"),
        sa.Column("total_rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("processed_rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("success_rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failed_rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("skipped_rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("dry_run", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("skip_duplicates", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("uploaded_by", sa.Text),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("file_sha256", sa.Text, nullable=False),
        sa.Column("file_bytes", sa.BigInteger, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        *_timestamps(),
        sa.CheckConstraint("type in ('movies', 'shows')", name="import_jobs_type"),
        sa.CheckConstraint(
            "status in ('queued','processing','completed','partial','failed','cancelled')",
            name="import_jobs_status",
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "import_rows",
        sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=UUID_DEFAULT),
        sa.Column(
            "job_id",
            UUID(as_uuid=True),
            sa.ForeignKey(f"{SCHEMA}.import_jobs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("row_number", sa.Integer, nullable=False),
        sa.Column("raw_payload", JSONB, nullable=False),
        sa.Column("normalized_payload", JSONB),
        sa.Column("dedupe_key", sa.Text),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("error_code", sa.Text),
        sa.Column("error_message", sa.Text),
        sa.Column("target_record_id", sa.Text),
        sa.Column("attempt_count", sa.Integer, nullable=False, server_default="0"),
        *_timestamps(),
        sa.UniqueConstraint("job_id", "row_number", name="import_rows_job_id_row_number_key"),
        sa.CheckConstraint(
            "status in ('pending','processing','success','failed','skipped')",
            name="import_rows_status",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "import_rows_dedupe_key_success",
        "import_rows",
        ["dedupe_key"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'success'"),
    )
    op.create_index("import_rows_job_id_status", "import_rows", ["job_id", "status"], schema=SCHEMA)
    op.create_table(
        "import_job_events",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "job_id",
            UUID(as_uuid=True),
            sa.ForeignKey(f"{SCHEMA}.import_jobs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("meta", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        schema=SCHEMA,
    )
    op.create_index(
        "import_job_events_job_id", "import_job_events", ["job_id", "id"], schema=SCHEMA
    )
    op.create_table(
        "enrichment_cache",
        sa.Column("provider", sa.Text, primary_key=True),
        sa.Column("request_key", sa.Text, primary_key=True),
        sa.Column("found", sa.Boolean, nullable=False),
        sa.Column("response", JSONB),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        schema=SCHEMA,
    )
    op.create_table(
        "omdb_budget",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("calls", sa.Integer, nullable=False, server_default="0"),
        sa.Column("exhausted", sa.Boolean, nullable=False, server_default=sa.false()),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in (
        "omdb_budget",
        "enrichment_cache",
        "import_job_events",
        "import_rows",
        "import_jobs",
    ):
        op.drop_table(table, schema=SCHEMA)
