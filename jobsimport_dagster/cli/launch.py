"""`jobsimport launch PARTITION_KEY`: start a run of an import through Dagster's GraphQL API."""

import click

from jobsimport_dagster.cli.dagster_api import (
    graphql_client,
    partition_key_argument,
    render_table,
    url_option,
)
from jobsimport_dagster.cli.reach import command_settings, demo_option


@click.command("launch")
@partition_key_argument
@url_option
@demo_option
def launch_command(partition_key: str, url: str | None, demo: bool) -> None:
    """Launch a run of PARTITION_KEY (an `import_files` partition).

    An unknown key is refused and nothing is launched. The run queue runs one run per
    partition at a time, so a launch while a run is going waits for it.
    """
    with graphql_client(url, command_settings(demo=demo), demo=demo) as client:
        run = client.launch(partition_key=partition_key)
    click.echo(
        render_table(["PARTITION KEY", "RUN", "STATUS"], [[partition_key, run.run_id, run.status]])
    )
    click.echo(f"\n{client.base_url}/runs/{run.run_id}")
