"""The import console: a search index over row titles, and the options of browser uploads.

`row_titles` holds each row's title folded as the rows search compares it (lower case,
accents dropped: `steps.normalize.fold_text`), keyed by job, CSV and line, written by a statement
trigger when rows are inserted (superseded by 0006: the validate step writes them, the trigger
cost more than the rows' COPY) and removed with them, so a search reads one narrow index
instead of folding every row's payload per query (about 0.5 s on a 100,000-row import).
Titles never change after a row is stored (later steps only add keys to
`normalized_payload`), so inserts and deletes are all the triggers follow. No foreign keys:
their per-row checks made validation's COPY about 3 s slower per 136,000 rows, more than the
folding itself (about 0.5-1 s per 100,000 rows); the delete trigger keeps the tables in step.

`uploads` carries what a file sent from the console asks for beyond its folder
(`skip_duplicates`) until `upload_sensor` takes the file, and then the import it became.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = "jobsimport"
NOW = sa.text("now()")
NEW_ID = sa.text("gen_random_uuid()")

# The SQL twin of `fold_text`, as `db.row_list.folded` builds it (a test keeps them equal);
# ASCII text (as many bytes as characters) only needs lower(): most titles skip the rest.
FOLD_FUNCTION = """
CREATE FUNCTION jobsimport.fold_text(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT
CASE WHEN octet_length(value) = char_length(value) THEN lower(value) ELSE
replace(replace(replace(replace(translate(lower(regexp_replace(normalize(value, NFD),
'[\u0300-\u036f]', '', 'g')), '\u00f8\u0142\u0111\u0127\u0131', 'oldhi'),
'\u00df', 'ss'), '\u00e6', 'ae'), '\u0153', 'oe'), '\u00fe', 'th') END $$
"""


def _text(payload: str, key: str) -> str:
    return f"nullif(btrim({payload} ->> '{key}'), '')"


def _season(show: str, season: str) -> str:
    return f"nullif(concat_ws(' Season ', {show}, {season}), '')"


# `db.row_list.title_expression` of each type, over the rows `r` of a statement.
_SEED, _RAW = "r.normalized_payload", "r.raw_payload"
_FROM_FILE = f"{_text(_RAW, 'Title')}, {_text(_RAW, 'Name')}"
MOVIE_TITLE = f"coalesce({_text(_SEED, 'title')}, {_FROM_FILE})"
SHOW_TITLE = (
    f"coalesce({_season(_text(_SEED, 'show'), _text(_SEED, 'season'))}, "
    f"{_season(_text(_RAW, 'Show'), _text(_RAW, 'Season'))}, {_FROM_FILE})"
)


def _index_titles(rows: str) -> str:
    return f"""
    INSERT INTO jobsimport.row_titles (job_id, source_file, row_number, title)
    SELECT r.job_id, r.source_file, r.row_number, coalesce(jobsimport.fold_text(
        CASE WHEN j.type = 'shows' THEN {SHOW_TITLE} ELSE {MOVIE_TITLE} END), '')
    FROM {rows} r JOIN jobsimport.import_jobs j ON j.id = r.job_id
    ON CONFLICT (job_id, source_file, row_number) DO NOTHING
    """


def _statement_trigger(name: str, event: str, table: str, body: str) -> None:
    op.execute(
        f"""
        CREATE FUNCTION jobsimport.{name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
        {body};
        RETURN NULL;
        END $$
        """
    )
    op.execute(
        f"CREATE TRIGGER {name} AFTER {event} ON jobsimport.import_rows "
        f"REFERENCING {table} FOR EACH STATEMENT EXECUTE FUNCTION jobsimport.{name}()"
    )


def upgrade() -> None:
    # The primary key includes the title: a search reads the job's titles in line order from
    # the index alone (index-only scan), never the table.
    op.execute(
        """
        CREATE TABLE jobsimport.row_titles (
            job_id uuid NOT NULL,
            source_file text NOT NULL,
            row_number integer NOT NULL,
            title text NOT NULL,
            CONSTRAINT row_titles_pkey PRIMARY KEY (job_id, source_file, row_number)
                INCLUDE (title)
        )
        """
    )
    op.create_index(
        "import_rows_job_id_error_code",
        "import_rows",
        ["job_id", "error_code"],
        postgresql_include=["source_file", "row_number"],
        schema=SCHEMA,
    )
    op.execute(FOLD_FUNCTION)
    _statement_trigger(
        "import_rows_titles", "INSERT", "NEW TABLE AS new_rows", _index_titles("new_rows")
    )
    _statement_trigger(
        "import_rows_titles_gone",
        "DELETE",
        "OLD TABLE AS old_rows",
        "DELETE FROM jobsimport.row_titles t USING old_rows o "
        "WHERE t.job_id = o.job_id AND t.source_file = o.source_file"
        " AND t.row_number = o.row_number",
    )
    op.execute(_index_titles("jobsimport.import_rows"))
    op.create_table(
        "uploads",
        sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=NEW_ID),
        sa.Column("folder", sa.Text, nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("file_sha256", sa.Text, nullable=False),
        sa.Column("skip_duplicates", sa.Boolean, nullable=False),
        sa.Column("partition_key", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        schema=SCHEMA,
    )
    op.create_index(
        "uploads_waiting",
        "uploads",
        ["folder", "file_name"],
        postgresql_where=sa.text("partition_key IS NULL"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("uploads", schema=SCHEMA)
    for name in ("import_rows_titles", "import_rows_titles_gone"):
        op.execute(f"DROP TRIGGER {name} ON jobsimport.import_rows")
        op.execute(f"DROP FUNCTION jobsimport.{name}()")
    op.execute("DROP FUNCTION jobsimport.fold_text(text)")
    op.drop_index("import_rows_job_id_error_code", "import_rows", schema=SCHEMA)
    op.drop_table("row_titles", schema=SCHEMA)
