"""`jobsimport created PARTITION_KEY`: the catalogue records an import created, line by line."""

import click

from jobsimport_dagster.cli.dagster_api import partition_key_argument, render_table
from jobsimport_dagster.cli.reach import command_settings, demo_option, import_job_of, open_database
from jobsimport_dagster.codes import RowStatus
from jobsimport_dagster.db import rows


def posted_title(row: rows.StoredRow) -> str:
    """The title the catalogue got (the provider's), as sent in the POST body."""
    body = (row.normalized_payload or {}).get("body") or {}
    return str(body.get("title") or "")


@click.command("created")
@partition_key_argument
@demo_option
def created_command(partition_key: str, demo: bool) -> None:
    """List the records PARTITION_KEY created in api.ashish.me: line, title, target_record_id."""
    engine = open_database(command_settings(demo=demo), demo=demo)
    try:
        with engine.connect() as conn:
            job = import_job_of(conn, partition_key)
            created = rows.rows_by_status(conn, job.id, [RowStatus.SUCCESS])
    finally:
        engine.dispose()
    if not created:
        click.echo(f"{partition_key} has created no record (status {job.status})")
        return
    table = [[row.line, posted_title(row), row.target_record_id] for row in created]
    click.echo(render_table(["LINE", "TITLE", "TARGET RECORD ID"], table))
