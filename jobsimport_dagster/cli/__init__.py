"""The `jobsimport` console script: a click group, one module per command."""

import click

from jobsimport_dagster.cli.created import created_command
from jobsimport_dagster.cli.demo import demo_command
from jobsimport_dagster.cli.dev import dev_command
from jobsimport_dagster.cli.launch import launch_command
from jobsimport_dagster.cli.migrate import migrate_command
from jobsimport_dagster.cli.retry_failed import retry_failed_command
from jobsimport_dagster.cli.rows import rows_command
from jobsimport_dagster.cli.status import status_command
from jobsimport_dagster.cli.submit import submit_command
from jobsimport_dagster.cli.validate import template_command, validate_command


@click.group()
def main() -> None:
    """Import watch-history CSV exports into api.ashish.me, run by Dagster."""


for command in (
    dev_command,
    demo_command,
    migrate_command,
    validate_command,
    template_command,
    submit_command,
    launch_command,
    retry_failed_command,
    status_command,
    created_command,
    rows_command,
):
    main.add_command(command)
