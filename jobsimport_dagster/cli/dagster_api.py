"""What the GraphQL commands share: the `--url` option, the client, plain-text tables."""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import click

from jobsimport_dagster.cli.reach import SystemUnavailable, server_url, what_to_start
from jobsimport_dagster.clients.dagster_graphql import DagsterGraphQLClient
from jobsimport_dagster.errors import DagsterApiError, DagsterUnreachable
from jobsimport_dagster.settings import Settings

url_option = click.option(
    "--url",
    default=None,
    help=(
        "Where the UI and /graphql are served [default: where the running `jobsimport dev` "
        "(or, with --demo, `jobsimport demo`) serves, else http://127.0.0.1:3000]."
    ),
)
partition_key_argument = click.argument("partition_key")


@contextmanager
def graphql_client(
    url: str | None, settings: Settings, *, demo: bool = False
) -> Iterator[DagsterGraphQLClient]:
    """A client sending JOBSIMPORT_UI_TOKEN at `--url` (or the running system's address).

    Nothing answering there is SystemUnavailable (one sentence, exit 2); any other error of
    the API is a one-line CLI error (exit 1).
    """
    client = DagsterGraphQLClient(server_url(settings, url, demo=demo), settings.ui_token)
    try:
        yield client
    except DagsterUnreachable as error:
        raise SystemUnavailable(
            f"nothing answers at {error.base_url}: start {what_to_start(demo=demo)}"
            + ("" if url else " (or pass --url where it serves)")
        ) from None
    except DagsterApiError as error:
        raise click.ClickException(str(error)) from None
    finally:
        client.close()


def render_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Columns padded to their widest cell, numbers right-aligned, a rule under the header."""
    values = [list(row) for row in rows]
    cells = [["" if v is None else str(v) for v in row] for row in values]
    numeric = [
        bool(values) and all(row[i] is None or isinstance(row[i], int) for row in values)
        for i in range(len(headers))
    ]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]

    def line(texts: Sequence[str]) -> str:
        padded = (
            text.rjust(width) if right else text.ljust(width)
            for text, width, right in zip(texts, widths, numeric, strict=True)
        )
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, cells)])
