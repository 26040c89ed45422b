"""What every stand-in shares: a Starlette app with faults, request stats and admin endpoints."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from jobsimport_dagster.standins.faults import Fault, Faults

Handler = Callable[[Request, Fault | None], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]

ADMIN_PREFIX = "/_standin"
# Query parameters that carry secrets: never part of a request key or a stat.
_SECRET_PARAMS = frozenset({"apikey"})


class Standin:
    """One fake upstream. Subclasses add their routes through `guarded()` and their own state.

    State is shared between the server's event loop and the Python API (tests, the demo), so
    every read and write happens under `_lock`, which is never held across an `await`.
    `reset()` clears counters and stored state; configuration and faults stay as they are.
    """

    name = "standin"

    def __init__(self, *, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self._faults = faults or Faults()
        self._by_endpoint: Counter[str] = Counter()
        self._by_key: Counter[str] = Counter()
        self._occurrences: Counter[str] = Counter()
        self._injected: Counter[str] = Counter()
        self._released = threading.Event()
        self.app = Starlette(routes=[*self._admin_routes(), *self.routes()])

    # -- what subclasses provide --------------------------------------------------------------

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """The stand-in's own settings (not its faults), as JSON."""
        return {}

    def configure_from(self, values: Mapping[str, Any]) -> None:
        """Apply settings sent to `POST /_standin/config`; raise ValueError on bad ones."""
        if values:
            raise ValueError(f"unknown settings: {', '.join(sorted(values))}")

    def _extra_stats(self) -> dict[str, Any]:
        """Subclass stats, read under the lock."""
        return {}

    def _reset_state(self) -> None:
        """Subclass state cleared by `reset()`, under the lock."""

    def request_key(self, request: Request, body: bytes) -> str:
        """What identifies a request for stats and fault draws: its query (secrets left out)."""
        query = urlencode(
            sorted((k, v) for k, v in request.query_params.multi_items() if k not in _SECRET_PARAMS)
        )
        if body:
            query += "#" + hashlib.sha256(body).hexdigest()[:16]
        return query

    # -- Python API ---------------------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        with self._lock:
            return self._faults

    def set_faults(self, faults: Faults | None = None, **changes: Any) -> Faults:
        """Replace the faults (`faults`) or change some of their fields (`changes`)."""
        with self._lock:
            self._faults = Faults.from_mapping(changes, base=faults or self._faults)
            return self._faults

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": sum(self._by_endpoint.values()),
                "by_endpoint": dict(self._by_endpoint),
                "by_key": dict(self._by_key),
                "faults_injected": dict(self._injected),
                **self._extra_stats(),
            }

    def reset(self) -> None:
        with self._lock:
            self._by_endpoint.clear()
            self._by_key.clear()
            self._occurrences.clear()
            self._injected.clear()
            self._reset_state()

    def release_holds(self, released: bool = True) -> None:
        """End every held request now (the server is stopping), or allow holds again."""
        if released:
            self._released.set()
        else:
            self._released.clear()

    # -- request pipeline ---------------------------------------------------------------------

    async def hold(self, seconds: float) -> None:
        """Sleep on the event loop, cut short by `release_holds()` so a stop never waits on it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not self._released.is_set() and (left := deadline - loop.time()) > 0:
            await asyncio.sleep(min(left, 0.05))

    def guarded(self, endpoint_name: str, handler: Handler, *, stores: bool = False) -> Endpoint:
        """Wrap a handler with counting, latency and the faults drawn for this request.

        Hangs sleep on the event loop, so a held request never blocks the others.
        """

        async def endpoint(request: Request) -> Response:
            key = self.request_key(request, await request.body())
            with self._lock:
                self._by_endpoint[endpoint_name] += 1
                if key:
                    self._by_key[key] += 1
                signature = f"{endpoint_name}|{key}"
                self._occurrences[signature] += 1
                occurrence = self._occurrences[signature]
                faults = self._faults
            fault = faults.pick(signature, occurrence, stores=stores)
            if fault is not None:
                with self._lock:
                    self._injected[str(fault)] += 1
            if faults.latency_ms:
                await asyncio.sleep(faults.latency_ms / 1000)
            if fault is Fault.HANG:
                await self.hold(faults.hang_seconds)
                return _plain(HTTPStatus.GATEWAY_TIMEOUT)
            if fault is Fault.ERROR:
                return _plain(HTTPStatus(faults.error_status))
            if fault is Fault.RATE_LIMITED:
                headers = (
                    {} if faults.retry_after is None else {"Retry-After": str(faults.retry_after)}
                )
                return _plain(HTTPStatus.TOO_MANY_REQUESTS, headers)
            return await handler(request, fault)

        return endpoint

    # -- admin endpoints ----------------------------------------------------------------------

    def _admin_routes(self) -> list[Route]:
        async def get_faults(_: Request) -> Response:
            return JSONResponse(self.faults.to_dict())

        async def post_faults(request: Request) -> Response:
            return await _admin_update(request, lambda v: self.set_faults(**v).to_dict())

        async def get_stats(_: Request) -> Response:
            return JSONResponse(self.stats())

        async def post_reset(_: Request) -> Response:
            self.reset()
            return JSONResponse(self.stats())

        async def get_config(_: Request) -> Response:
            return JSONResponse(self.config())

        async def post_config(request: Request) -> Response:
            def apply(values: Mapping[str, Any]) -> dict[str, Any]:
                self.configure_from(values)
                return self.config()

            return await _admin_update(request, apply)

        return [
            Route(f"{ADMIN_PREFIX}/faults", get_faults, methods=["GET"]),
            Route(f"{ADMIN_PREFIX}/faults", post_faults, methods=["POST"]),
            Route(f"{ADMIN_PREFIX}/stats", get_stats, methods=["GET"]),
            Route(f"{ADMIN_PREFIX}/reset", post_reset, methods=["POST"]),
            Route(f"{ADMIN_PREFIX}/config", get_config, methods=["GET"]),
            Route(f"{ADMIN_PREFIX}/config", post_config, methods=["POST"]),
        ]


async def read_json_object(request: Request) -> dict[str, Any] | None:
    """The request body as a JSON object, or None when it is not one."""
    try:
        value = await request.json()
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


async def _admin_update(
    request: Request, apply: Callable[[Mapping[str, Any]], dict[str, Any]]
) -> Response:
    values = await read_json_object(request)
    if values is None:
        return JSONResponse({"message": "the body must be a JSON object"}, status_code=400)
    try:
        return JSONResponse(apply(values))
    except (TypeError, ValueError) as exc:
        return JSONResponse({"message": str(exc)}, status_code=400)


def _plain(status: HTTPStatus, headers: Mapping[str, str] | None = None) -> Response:
    return PlainTextResponse(status.phrase, status_code=status, headers=headers)
