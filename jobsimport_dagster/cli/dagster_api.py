"""What the GraphQL commands share: the `--url` option, the client, plain-text tables."""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import click
import sqlalchemy as sa

from jobsimport_dagster.clients.dagster_graphql import DagsterGraphQLClient
from jobsimport_dagster.db.engine import resolve_database_url
from jobsimport_dagster.errors import DagsterApiError
from jobsimport_dagster.settings import Settings

DEFAULT_URL = "http://127.0.0.1:3000"

url_option = click.option(
    "--url",
    default=DEFAULT_URL,
    show_default=True,
    help="Where `jobsimport dev` serves the UI and /graphql.",
)
partition_key_argument = click.argument("partition_key")


@contextmanager
def graphql_client(url: str, settings: Settings) -> Iterator[DagsterGraphQLClient]:
    """A client sending JOBSIMPORT_UI_TOKEN; its errors become one-line CLI errors (exit 1)."""
    client = DagsterGraphQLClient(url, settings.ui_token)
    try:
        yield client
    except DagsterApiError as error:
        raise click.ClickException(str(error)) from None
    finally:
        client.close()


def database(settings: Settings) -> sa.Engine:
    """The import tables' database (DATABASE_URL, or the embedded server `dev` started)."""
    return sa.create_engine(resolve_database_url(settings), poolclass=sa.NullPool)


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
