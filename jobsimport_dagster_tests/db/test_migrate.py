"""Migrations create exactly the SPEC §6 tables, in schema `jobsimport`, and are idempotent."""

import sqlalchemy as sa

from jobsimport_dagster.db.migrate import upgrade_to_head
from jobsimport_dagster.db.tables import metadata

SPEC_COLUMNS = {
    "import_jobs": {
        "id", "partition_key", "type", "source", "status", "total_rows", "processed_rows",
        "success_rows", "failed_rows", "skipped_rows", "dry_run", "skip_duplicates",
        "uploaded_by", "file_name", "file_sha256", "file_bytes", "started_at", "completed_at",
        "created_at", "updated_at",
    },
    # `source_file` (migration 0003): the CSV inside an export zip a row comes from, whose
    # lines a row's `row_number` counts (SPEC §5 `<csv name>:<line>`); '' for a dropped CSV.
    "import_rows": {
        "id", "job_id", "source_file", "row_number", "raw_payload", "normalized_payload",
        "dedupe_key", "status", "error_code", "error_message", "target_record_id", "attempt_count",
        "created_at", "updated_at",
    },
    "import_job_events": {"id", "job_id", "level", "message", "meta", "created_at"},
}  # fmt: skip


def test_migration_creates_spec_tables_in_jobsimport_schema(engine: sa.Engine) -> None:
    inspector = sa.inspect(engine)
    tables = set(inspector.get_table_names(schema="jobsimport"))
    assert set(SPEC_COLUMNS) <= tables
    assert "alembic_version" in tables
    for table, columns in SPEC_COLUMNS.items():
        assert {c["name"] for c in inspector.get_columns(table, schema="jobsimport")} == columns
    assert "dagster" in inspector.get_schema_names()


def test_migration_matches_table_definitions(engine: sa.Engine) -> None:
    # The Core tables the code queries and the migration that creates them describe one shape.
    inspector = sa.inspect(engine)
    for table in metadata.sorted_tables:
        migrated = {c["name"] for c in inspector.get_columns(table.name, schema="jobsimport")}
        assert migrated == {c.name for c in table.columns}, table.name


def test_upgrade_twice_is_a_no_op(engine: sa.Engine) -> None:
    upgrade_to_head(engine)
    with engine.connect() as conn:
        version = conn.execute(
            sa.text("select version_num from jobsimport.alembic_version")
        ).scalar()
    assert version == "0006"


def test_row_number_is_unique_per_job_and_file(engine: sa.Engine) -> None:
    # A dropped CSV's rows have source_file ''; each CSV inside a zip numbers its own lines.
    inspector = sa.inspect(engine)
    uniques = inspector.get_unique_constraints("import_rows", schema="jobsimport")
    assert any(u["column_names"] == ["job_id", "source_file", "row_number"] for u in uniques)
