"""The `jobsimport` console script: a click group, one module per command."""

import click

from jobsimport_dagster.cli.dev import dev_command
from jobsimport_dagster.cli.migrate import migrate_command
from jobsimport_dagster.cli.submit import submit_command
from jobsimport_dagster.cli.validate import template_command, validate_command


@click.group()
def main() -> None:
    """Import watch-history CSV exports into api.ashish.me, run by Dagster."""


for command in (dev_command, migrate_command, validate_command, template_command, submit_command):
    main.add_command(command)
