"""`jobsimport status [PARTITION_KEY]`: imports' counters from Postgres, runs from GraphQL."""

from collections import Counter
from pathlib import Path

import click

from jobsimport_dagster.cli.dagster_api import graphql_client, render_table, url_option
from jobsimport_dagster.cli.reach import command_settings, demo_option, import_job_of, open_database
from jobsimport_dagster.clients.dagster_graphql import RunSummary
from jobsimport_dagster.db import jobs, rows
from jobsimport_dagster.intake.folders import list_rejections, shown_name
from jobsimport_dagster.steps.export import failed_csv_path

HEADERS = [
    "PARTITION KEY",
    "STATUS",
    "TOTAL",
    "SUCCESS",
    "FAILED",
    "SKIPPED",
    "LEFT",
    "RUN",
    "RUN STATUS",
]
REJECTIONS_SHOWN = 10


def status_row(job: jobs.ImportJob, run: RunSummary | None) -> list[object]:
    """One import: its status and counters; `LEFT` = rows not processed yet; its latest run."""
    return [
        job.partition_key,
        job.status,
        job.total_rows,
        job.success_rows,
        job.failed_rows,
        job.skipped_rows,
        job.total_rows - job.processed_rows,
        run.run_id[:8] if run else None,
        run.status if run else None,
    ]


@click.command("status")
@click.argument("partition_key", required=False)
@url_option
@demo_option
def status_command(partition_key: str | None, url: str | None, demo: bool) -> None:
    """Show imports (the 200 newest, or PARTITION_KEY) with their counters and latest run.

    For one import, also its failed rows by code and the path of its failed-rows CSV. When
    the web server does not answer, the counters are shown without the runs.
    """
    settings = command_settings(demo=demo)
    engine = open_database(settings, demo=demo)
    failed_codes: Counter[str] = Counter()
    try:
        with engine.connect() as conn:
            if partition_key is None:
                imports = jobs.list_jobs(conn)
            else:
                job = import_job_of(conn, partition_key)
                imports = [job]
                failed_codes.update(row.code for row in rows.failed_rows(conn, job.id))
    finally:
        engine.dispose()
    try:
        with graphql_client(url, settings, demo=demo) as client:
            runs = client.latest_runs(partition_keys=[partition_key] if partition_key else None)
    except click.ClickException as error:
        click.echo(f"runs not shown: {error.message}", err=True)
        runs = {}
    if not imports:
        click.echo("no import yet: drop a CSV into the watched folder or use `jobsimport submit`")
    else:
        click.echo(
            render_table(HEADERS, [status_row(j, runs.get(j.partition_key)) for j in imports])
        )
    if failed_codes:
        by_code = ", ".join(f"{code} {n}" for code, n in failed_codes.most_common())
        click.echo(f"\nfailed rows by code: {by_code}")
    csv_path = failed_csv_path(settings.upload_dir, partition_key) if partition_key else None
    if csv_path is not None and csv_path.is_file():
        click.echo(f"failed rows CSV: {csv_path}")
    if partition_key is None:
        echo_rejections(settings.upload_dir)


def echo_rejections(upload_dir: Path) -> None:
    """The newest files the watched folder turned away, each with its reason and new place."""
    rejections = list_rejections(upload_dir)
    if not rejections:
        return
    folder = upload_dir / "rejected"
    click.echo(f"\nrejected files ({len(rejections)}, newest first, kept in {folder}):")
    for item in rejections[:REJECTIONS_SHOWN]:
        name, kept = shown_name(item.file_name), shown_name(item.path.name)
        click.echo(f"  {item.rejected_at}  {name}: {item.reason} (moved to {kept})")
    if len(rejections) > REJECTIONS_SHOWN:
        click.echo(f"  … and {len(rejections) - REJECTIONS_SHOWN} more")
