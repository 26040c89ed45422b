"""`jobsimport retry-failed [PARTITION_KEY...]`: re-execute failed imports through GraphQL."""

import click

from jobsimport_dagster.cli.dagster_api import graphql_client, render_table, url_option
from jobsimport_dagster.cli.reach import command_settings, demo_option


@click.command("retry-failed")
@click.argument("partition_keys", nargs=-1)
@url_option
@demo_option
def retry_failed_command(partition_keys: tuple[str, ...], url: str | None, demo: bool) -> None:
    """Re-execute every partition whose latest run failed, or the PARTITION_KEYS named.

    Each retry re-executes the failed run with all its steps, so its rows that are pending
    or failed with a retryable code are taken again; rows already imported are not sent
    twice. A named key whose run did not fail (or was not terminated) is left as it is; an
    unknown key is refused and nothing is launched.
    """
    with graphql_client(url, command_settings(demo=demo), demo=demo) as client:
        retries = client.retry_failed(partition_keys=partition_keys)
    if not retries:
        click.echo("no partition's latest run failed: nothing to retry")
        return
    rows = [
        [
            retry.partition_key,
            retry.previous.run_id if retry.previous else None,
            retry.previous.status if retry.previous else "no run",
            retry.run.run_id if retry.run else "not retried",
        ]
        for retry in retries
    ]
    click.echo(render_table(["PARTITION KEY", "FAILED RUN", "ITS STATUS", "NEW RUN"], rows))
