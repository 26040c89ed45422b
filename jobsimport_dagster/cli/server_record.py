"""The record a running `jobsimport dev` or `demo` keeps for commands: its URL and folder."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from jobsimport_dagster.settings import Settings

SERVER_RECORD = "server.json"
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


@dataclass(frozen=True)
class ServerRecord:
    """What a running `jobsimport dev` or `demo` tells commands: where it serves and what
    folder its sensor watches. Kept in `<state dir>/server.json` while it serves."""

    url: str
    upload_dir: Path
    pid: int


def local_url(host: str, port: int) -> str:
    """The address a command on this machine reaches a server listening on host:port at."""
    host = _ANY_ADDRESS.get(host, host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


@contextmanager
def recorded_server(settings: Settings, *, host: str, port: int) -> Iterator[None]:
    """Keep the server record while the system serves; remove it (if still ours) after."""
    path = settings.state_dir / SERVER_RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"url": local_url(host, port), "upload_dir": str(settings.upload_dir)}
    path.write_text(json.dumps({**record, "pid": os.getpid()}) + "\n", encoding="utf-8")
    try:
        yield
    finally:
        current = read_server_record(settings)
        if current is not None and current.pid == os.getpid():
            path.unlink(missing_ok=True)


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_server_record(settings: Settings) -> ServerRecord | None:
    """The record of the system serving these settings' state, if its process still lives."""
    try:
        data = json.loads((settings.state_dir / SERVER_RECORD).read_text(encoding="utf-8"))
        record = ServerRecord(
            url=str(data["url"]), upload_dir=Path(data["upload_dir"]), pid=int(data["pid"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return record if _is_alive(record.pid) else None
