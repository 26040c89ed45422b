"""Dagster's own web app (UI + `/graphql`, websocket included) with the import console in front
of it, built in this process."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

# Dagster has no public way to build its webserver app from a workspace file: these are the
# pieces `dagster-webserver` itself uses, pinned with dagster==1.13.27.
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster_webserver.app import create_app_from_workspace_process_context
from dagster_webserver.version import __version__
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp

from jobsimport_dagster.web.console import ConsoleConfig, console_routes
from jobsimport_dagster.web.gate import TokenGate

# dagster-webserver's defaults for a long-running server's storage connections.
STATEMENT_TIMEOUT_MS = 15_000
POOL_RECYCLE_SECONDS = 3600
POOL_MAX_OVERFLOW = 20


@contextmanager
def dagster_web_app(
    workspace_file: Path, console: ConsoleConfig, *, ui_token: str | None
) -> Iterator[ASGIApp]:
    """The app for the instance in DAGSTER_HOME and the code locations of `workspace_file`:
    the console's paths (`/imports`, `/upload`, `/api/imports`…) first, every other path to
    Dagster's app, the whole wrapped in the token gate when a token is set. Leaving stops the
    code server it started."""
    with dg.DagsterInstance.get() as instance:
        instance.optimize_for_webserver(
            statement_timeout=STATEMENT_TIMEOUT_MS,
            pool_recycle=POOL_RECYCLE_SECONDS,
            max_overflow=POOL_MAX_OVERFLOW,
        )
        target = WorkspaceFileTarget(paths=[str(workspace_file)])
        with WorkspaceProcessContext(
            instance, workspace_load_target=target, version=__version__
        ) as context:
            dagster = create_app_from_workspace_process_context(context)
            app = Starlette(routes=[*console_routes(console), Mount("/", app=dagster)])
            yield TokenGate(app, ui_token) if ui_token else app
