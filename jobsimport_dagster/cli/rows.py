"""`jobsimport rows PARTITION_KEY`: the rows of one import, filtered, searched, a page at a time."""

import csv
import io
import json

import click

from jobsimport_dagster.cli.dagster_api import partition_key_argument, render_table
from jobsimport_dagster.cli.reach import command_settings, demo_option, import_job_of, open_database
from jobsimport_dagster.codes import RowCode, RowStatus
from jobsimport_dagster.db.row_list import ListedRow, RowPage, RowQuery, list_rows
from jobsimport_dagster.steps.export import neutralise

HEADERS = [
    "LINE",
    "STATUS",
    "CODE",
    "MESSAGE",
    "TITLE",
    "YEAR",
    "VIEWING DATE",
    "IMDB ID",
    "VERDICT",
    "TARGET RECORD ID",
]
CSV_COLUMNS = list(ListedRow.__dataclass_fields__)


def table_text(page: RowPage, query: RowQuery) -> str:
    """The page as a table, and which rows of how many it shows."""
    if not page.rows:
        where = f" from offset {query.offset}" if query.offset else ""
        return f"no rows{where} ({page.total} match)"
    cells = [
        [
            r.line,
            r.status,
            r.error_code,
            r.error_message,
            r.title,
            r.year,
            r.viewing_date,
            r.imdb_id,
            r.verdict,
            r.target_record_id,
        ]
        for r in page.rows
    ]
    first, last = query.offset + 1, query.offset + len(page.rows)
    footer = f"rows {first}-{last} of {page.total}"
    if last < page.total:
        footer += f" (--offset {last} for the next page)"
    return f"{render_table(HEADERS, cells)}\n\n{footer}"


def csv_text(page: RowPage) -> str:
    """The page as CSV with the JSON keys as header; cells a spreadsheet would run as a
    formula are prefixed with `'`, as in the failed-rows CSV."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in page.rows:
        values = row.as_dict()
        writer.writerow(
            ["" if values[c] is None else neutralise(str(values[c])) for c in CSV_COLUMNS]
        )
    return out.getvalue()


@click.command("rows")
@partition_key_argument
@click.option("--status", type=click.Choice([s.value for s in RowStatus]), help="Only this status.")
@click.option(
    "--code",
    type=click.Choice([c.value for c in RowCode]),
    metavar="CODE",
    help="Only rows with this code (a row code, such as not_found).",
)
@click.option("--search", help="Text in the title or code (case and accents ignored).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.option("--offset", default=0, show_default=True, type=click.IntRange(min=0))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@demo_option
def rows_command(
    partition_key: str,
    status: str | None,
    code: str | None,
    search: str | None,
    limit: int,
    offset: int,
    output_format: str,
    demo: bool,
) -> None:
    """List the rows of PARTITION_KEY by line: status, code, message, title, year, viewing
    date, matched IMDb ID and the catalogue record's id.

    `--format json` prints `{"rows": [...], "total": N}`, where `total` counts every row that
    matches the filters, not only this page.
    """
    query = RowQuery(status=status, code=code, search=search, limit=limit, offset=offset)
    engine = open_database(command_settings(demo=demo), demo=demo)
    try:
        with engine.connect() as conn:
            job = import_job_of(conn, partition_key)
            page = list_rows(conn, job_id=job.id, import_type=job.type, query=query)
    finally:
        engine.dispose()
    if output_format == "json":
        click.echo(json.dumps(page.as_dict(), ensure_ascii=False))
    elif output_format == "csv":
        click.echo(csv_text(page), nl=False)
    else:
        click.echo(table_text(page, query))
