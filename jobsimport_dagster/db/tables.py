"""SQLAlchemy Core tables of schema `jobsimport` (SPEC §6), the one description of their shape."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

SCHEMA = "jobsimport"
DAGSTER_SCHEMA = "dagster"

metadata = sa.MetaData(schema=SCHEMA)

_now = sa.text("now()")
_uuid = sa.text("gen_random_uuid()")


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    ]


import_jobs = sa.Table(
    "import_jobs",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=_uuid),
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
)

import_rows = sa.Table(
    "import_rows",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=_uuid),
    sa.Column(
        "job_id",
        UUID(as_uuid=True),
        sa.ForeignKey(import_jobs.c.id, ondelete="CASCADE"),
        nullable=False,
    ),
    # The CSV inside an export zip the row comes from ('' for a dropped CSV): each CSV of a
    # zip numbers its own lines, so a row is (source_file, row_number) within its import.
    sa.Column("source_file", sa.Text, nullable=False, server_default=""),
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
    sa.UniqueConstraint(
        "job_id", "source_file", "row_number", name="import_rows_job_id_source_file_row_number_key"
    ),
    sa.CheckConstraint(
        "status in ('pending','processing','success','failed','skipped')",
        name="import_rows_status",
    ),
    sa.Index(
        "import_rows_dedupe_key_success",
        "dedupe_key",
        postgresql_where=sa.text("status = 'success'"),
    ),
    sa.Index("import_rows_job_id_status", "job_id", "status"),
    sa.Index(
        "import_rows_job_id_error_code",
        "job_id",
        "error_code",
        postgresql_include=["source_file", "row_number"],
    ),
)

# Each row's title as the rows search compares it (`row_list.fold_text`), by job and line,
# written with the rows by `rows.insert_rows` (migration 0006) and deleted with them by the
# trigger `import_rows_titles_gone` (0004). Its primary key includes `title`, for index-only
# scans.
row_titles = sa.Table(
    "row_titles",
    metadata,
    sa.Column("job_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("source_file", sa.Text, primary_key=True),
    sa.Column("row_number", sa.Integer, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
)

import_job_events = sa.Table(
    "import_job_events",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "job_id",
        UUID(as_uuid=True),
        sa.ForeignKey(import_jobs.c.id, ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("level", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("meta", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    sa.Index("import_job_events_job_id", "job_id", "id"),
)

enrichment_cache = sa.Table(
    "enrichment_cache",
    metadata,
    sa.Column("provider", sa.Text, primary_key=True),
    sa.Column("request_key", sa.Text, primary_key=True),
    sa.Column("found", sa.Boolean, nullable=False),
    sa.Column("response", JSONB),
    sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
)

omdb_budget = sa.Table(
    "omdb_budget",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("calls", sa.Integer, nullable=False, server_default="0"),
    sa.Column("exhausted", sa.Boolean, nullable=False, server_default=sa.false()),
)

viewing_claims = sa.Table(
    "viewing_claims",
    metadata,
    # `<type>:key:<dedupe key>` or `<type>:imdb:<IMDb ID>|<date or season>`: one holder each.
    sa.Column("claim_key", sa.Text, primary_key=True),
    sa.Column(
        "row_id",
        UUID(as_uuid=True),
        sa.ForeignKey(import_rows.c.id, ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "job_id",
        UUID(as_uuid=True),
        sa.ForeignKey(import_jobs.c.id, ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    sa.Index("viewing_claims_row_id", "row_id"),
)

# A file sent from the console, until `upload_sensor` takes it: what it asks for beyond what
# its folder says, then the import it became.
uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=_uuid),
    sa.Column("folder", sa.Text, nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("file_sha256", sa.Text, nullable=False),
    sa.Column("skip_duplicates", sa.Boolean, nullable=False),
    sa.Column("partition_key", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    sa.Index(
        "uploads_waiting",
        "folder",
        "file_name",
        postgresql_where=sa.text("partition_key IS NULL"),
    ),
)

match_choices = sa.Table(
    "match_choices",
    metadata,
    sa.Column("import_type", sa.Text, primary_key=True),
    # `title:<title match key>|<year or ''>` or `uri:<Letterboxd URI>` (see `db/choices.py`).
    sa.Column("source_key", sa.Text, primary_key=True),
    sa.Column("imdb_id", sa.Text, nullable=False),
    sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
)
