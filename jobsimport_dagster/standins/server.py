"""Run stand-ins as real HTTP servers on 127.0.0.1, each on its own thread and event loop."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from types import TracebackType

import uvicorn

from jobsimport_dagster.standins.base import Standin
from jobsimport_dagster.standins.catalogue import CatalogueStandin
from jobsimport_dagster.standins.imdb import ImdbStandin
from jobsimport_dagster.standins.omdb import OmdbStandin

_START_TIMEOUT = 10.0


@dataclass
class RunningStandin:
    """A started stand-in: `base_url` (no trailing slash) and `stop()`; also a context manager."""

    standin: Standin
    base_url: str
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self) -> None:
        """Stop soon: held (hanging) requests are answered at once rather than waited for."""
        self.standin.release_holds()
        self._server.should_exit = True
        self._thread.join(timeout=_START_TIMEOUT)

    def __enter__(self) -> RunningStandin:
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.stop()


def start_standin(standin: Standin, *, host: str = "127.0.0.1", port: int = 0) -> RunningStandin:
    """Serve `standin` on `host:port` (0: a free port) from a background thread.

    The socket is bound here, so a busy port raises in the caller rather than in the thread.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        message = f"the {standin.name} stand-in could not listen on {host}:{port}"
        raise RuntimeError(message) from exc
    config = uvicorn.Config(
        standin.app,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=30,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    standin.release_holds(False)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"standin-{standin.name}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the {standin.name} stand-in did not start on {host}:{port}")
        time.sleep(0.01)
    return RunningStandin(standin, f"http://{host}:{sock.getsockname()[1]}", server, thread)


@dataclass
class StandinGroup:
    """The three stand-ins the system talks to, started together."""

    omdb: RunningStandin
    imdb: RunningStandin
    catalogue: RunningStandin

    def urls(self) -> dict[str, str]:
        return {
            "omdb": self.omdb.base_url,
            "imdb": self.imdb.base_url,
            "catalogue": self.catalogue.base_url,
        }

    def stop(self) -> None:
        for running in (self.omdb, self.imdb, self.catalogue):
            running.stop()

    def __enter__(self) -> StandinGroup:
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.stop()


def start_all(
    *,
    host: str = "127.0.0.1",
    omdb: OmdbStandin | None = None,
    imdb: ImdbStandin | None = None,
    catalogue: CatalogueStandin | None = None,
    omdb_port: int = 0,
    imdb_port: int = 0,
    catalogue_port: int = 0,
) -> StandinGroup:
    """Start OMDb, IMDb and api.ashish.me stand-ins (default-configured unless given)."""
    started: list[RunningStandin] = []
    try:
        for standin, port in (
            (omdb or OmdbStandin(), omdb_port),
            (imdb or ImdbStandin(), imdb_port),
            (catalogue or CatalogueStandin(), catalogue_port),
        ):
            started.append(start_standin(standin, host=host, port=port))
    except BaseException:
        for running in started:
            running.stop()
        raise
    return StandinGroup(*started)
