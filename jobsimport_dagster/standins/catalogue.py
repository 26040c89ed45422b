"""Local api.ashish.me: `POST`/`GET` `/movies` and `/shows` behind the `apiKey` header."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jobsimport_dagster.standins.base import ADMIN_PREFIX, Standin, read_json_object
from jobsimport_dagster.standins.faults import Fault, Faults

DEFAULT_TOKEN = "standin-catalogue-token"


class ShowsShape(StrEnum):
    PER_SEASON = "per_season"  # one record per season, as posted
    NESTED = "nested"  # one record per show with `seasons: [...]`, as the live API answers


_UNSET: Any = object()
_Check = Callable[[Any], bool]


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _optional_text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _optional_number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def _timestamp(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _boolean(value: Any) -> bool:
    return isinstance(value, bool)


def _optional_id(value: Any) -> bool:
    return value is None or isinstance(value, str) or _integer(value)


_CHECKS: dict[_Check, str] = {
    _text: "must be a non-empty string",
    _optional_text: "must be a string or null",
    _integer: "must be an integer number",
    _optional_number: "must be a number or null",
    _timestamp: "must be a valid ISO 8601 date string",
    _boolean: "must be a boolean value",
    _optional_id: "must be a string, an integer or null",
}
_COMMON_FIELDS: dict[str, _Check] = {
    "title": _text,
    "description": _optional_text,
    "language": _optional_text,
    "genre": _optional_text,
    "year": _integer,
    "imdbRating": _optional_number,
    "imdbId": _optional_text,
    "posterUrl": _optional_text,
    "tmdbId": _optional_id,
    "loved": _boolean,
}
MOVIE_FIELDS: dict[str, _Check] = {**_COMMON_FIELDS, "viewingDate": _timestamp}
SHOW_FIELDS: dict[str, _Check] = {
    **_COMMON_FIELDS,
    "seasonNumber": _integer,
    "showName": _text,
    "startedDate": _timestamp,
    "status": _text,
}


def validation_messages(body: Mapping[str, Any], spec: Mapping[str, _Check]) -> list[str]:
    """class-validator style messages for every missing or ill-typed SPEC §8 field."""
    messages = []
    for name, check in spec.items():
        if name not in body:
            messages.append(f"{name} should not be undefined")
        elif not check(body[name]):
            messages.append(f"{name} {_CHECKS[check]}")
    return messages


def record_key(kind: str, record: Mapping[str, Any]) -> str:
    """What makes two catalogue records the same: IMDb ID (or title) + date (+ season)."""
    who = record.get("imdbId") or str(record.get("showName") or record.get("title", "")).casefold()
    if kind == "movies":
        return f"movie|{who}|{str(record.get('viewingDate', ''))[:10]}"
    return f"show|{who}|{str(record.get('startedDate', ''))[:10]}|{record.get('seasonNumber')}"


def nest_shows(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per-season records grouped as the live API lists shows: one per show, `seasons` inside."""
    shows: dict[str, dict[str, Any]] = {}
    for r in records:
        group = r.get("imdbId") or str(r.get("showName", "")).casefold()
        show = shows.get(group)
        if show is None:
            show = shows[group] = {
                "id": r["id"],
                "title": r.get("showName"),
                "language": r.get("language"),
                "description": r.get("description"),
                "releaseStartYear": r.get("year"),
                "releaseEndYear": None,
                "genre": r.get("genre"),
                "startedDate": r.get("startedDate"),
                "completedDate": None,
                "status": r.get("status"),
                "imdbRating": r.get("imdbRating"),
                "imdbId": r.get("imdbId"),
                "createdAt": r.get("createdAt"),
                "updatedAt": r.get("updatedAt"),
                "seasons": [],
            }
        show["startedDate"] = min(show["startedDate"] or "", r.get("startedDate") or "") or None
        show["status"] = r.get("status")
        show["seasons"].append(
            {
                "id": r["id"],
                "seasonNumber": r.get("seasonNumber"),
                "startedDate": r.get("startedDate"),
                "completedDate": None,
                "status": r.get("status"),
                "review": None,
                "note": None,
                "createdAt": r.get("createdAt"),
                "updatedAt": r.get("updatedAt"),
            }
        )
    return list(shows.values())


class CatalogueStandin(Standin):
    """The catalogue, kept in memory. Stats count POSTs and stored records per `record_key`.

    `duplicates` counts records stored more than once for one key: the importer's double
    inserts (a pre-seeded record POSTed again counts too). `reset()` empties the catalogue.
    """

    name = "catalogue"

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        shows_shape: ShowsShape | str = ShowsShape.PER_SEASON,
        faults: Faults | None = None,
    ) -> None:
        self._token = token
        self._shows_shape = ShowsShape(shows_shape)
        self._records: dict[str, list[dict[str, Any]]] = {"movies": [], "shows": []}
        self._next_id = 1
        super().__init__(faults=faults)

    def routes(self) -> list[Route]:
        routes = []
        for kind in ("movies", "shows"):
            routes += [
                Route(
                    f"/{kind}", self.guarded(f"GET /{kind}", self._lister(kind)), methods=["GET"]
                ),
                Route(
                    f"/{kind}",
                    self.guarded(f"POST /{kind}", self._creator(kind), stores=True),
                    methods=["POST"],
                ),
            ]
        return [
            *routes,
            Route(f"{ADMIN_PREFIX}/records", self._admin_records, methods=["GET"]),
            Route(f"{ADMIN_PREFIX}/records", self._admin_seed, methods=["POST"]),
        ]

    def request_key(self, request: Request, body: bytes) -> str:
        """POSTs count per record key; GETs are not keyed."""
        if request.method != "POST":
            return ""
        try:
            record = json.loads(body)
        except ValueError:
            return "unreadable"
        kind = request.url.path.strip("/")
        return record_key(kind, record) if isinstance(record, dict) else "unreadable"

    # -- Python API ---------------------------------------------------------------------------

    def configure(self, *, token: str = _UNSET, shows_shape: ShowsShape | str = _UNSET) -> None:
        with self._lock:
            if token is not _UNSET:
                self._token = str(token)
            if shows_shape is not _UNSET:
                self._shows_shape = ShowsShape(shows_shape)

    def configure_from(self, values: Mapping[str, Any]) -> None:
        unknown = set(values) - {"token", "shows_shape"}
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        self.configure(**values)

    def config(self) -> dict[str, Any]:
        with self._lock:
            return {"shows_shape": str(self._shows_shape)}

    def seed_records(
        self, *, movies: Iterable[Mapping[str, Any]] = (), shows: Iterable[Mapping[str, Any]] = ()
    ) -> list[str]:
        """Store records as if posted earlier (shows per season, `id` kept); returns their ids."""
        with self._lock:
            stored = [self._store("movies", m, keep_id=True) for m in movies]
            stored += [self._store("shows", s, keep_id=True) for s in shows]
        return [r["id"] for r in stored]

    def records(self, kind: str) -> list[dict[str, Any]]:
        """The stored `movies` or `shows` records, per season, oldest first."""
        with self._lock:
            return [dict(r) for r in self._records[kind]]

    def _extra_stats(self) -> dict[str, Any]:
        stored = Counter(record_key(kind, r) for kind, rs in self._records.items() for r in rs)
        return {
            "stored": {kind: len(rs) for kind, rs in self._records.items()},
            "stored_by_key": dict(stored),
            "duplicates": sum(n - 1 for n in stored.values()),
        }

    def _reset_state(self) -> None:
        self._records = {"movies": [], "shows": []}

    def _store(
        self, kind: str, body: Mapping[str, Any], *, keep_id: bool = False
    ) -> dict[str, Any]:
        """Under the lock: keep the body with a new string id and timestamps, as the API does."""
        record_id = str(body["id"]) if keep_id and body.get("id") else str(self._next_id)
        self._next_id += 1
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        fields = {k: v for k, v in body.items() if k != "id"}
        record = {"id": record_id, **fields, "createdAt": now, "updatedAt": now}
        self._records[kind].append(record)
        return dict(record)

    # -- handlers -----------------------------------------------------------------------------

    def _refusal(self, request: Request) -> Response | None:
        """400 without the `apiKey` header, 401 with a wrong one (NestJS error shape)."""
        token = request.headers.get("apikey")
        if not token:
            return _error(HTTPStatus.BAD_REQUEST, "apiKey header is required")
        with self._lock:
            if token != self._token:
                return _error(HTTPStatus.UNAUTHORIZED, "Invalid API key")
        return None

    def _lister(self, kind: str) -> Callable[[Request, Fault | None], Any]:
        async def handler(request: Request, _: Fault | None) -> Response:
            if refusal := self._refusal(request):
                return refusal
            with self._lock:
                records = [dict(r) for r in self._records[kind]]
                nested = kind == "shows" and self._shows_shape is ShowsShape.NESTED
            return JSONResponse(nest_shows(records) if nested else records)

        return handler

    def _creator(self, kind: str) -> Callable[[Request, Fault | None], Any]:
        spec = MOVIE_FIELDS if kind == "movies" else SHOW_FIELDS

        async def handler(request: Request, fault: Fault | None) -> Response:
            if refusal := self._refusal(request):
                return refusal
            body = await read_json_object(request)
            if body is None:
                return _error(HTTPStatus.BAD_REQUEST, ["the body must be a JSON object"])
            if messages := validation_messages(body, spec):
                return _error(HTTPStatus.BAD_REQUEST, messages)
            with self._lock:
                record = self._store(kind, body)
                faults = self._faults
            if fault is Fault.STORE_THEN_FAIL:
                return _error(HTTPStatus(faults.error_status), "Internal server error")
            if fault is Fault.STORE_THEN_HANG:
                await self.hold(faults.hang_seconds)
            return JSONResponse(record, status_code=HTTPStatus.CREATED)

        return handler

    async def _admin_records(self, _: Request) -> Response:
        return JSONResponse({kind: self.records(kind) for kind in ("movies", "shows")})

    async def _admin_seed(self, request: Request) -> Response:
        body = await read_json_object(request)
        lists = {k: (body or {}).get(k, []) for k in ("movies", "shows")}
        if (
            body is None
            or set(body) - set(lists)
            or not all(
                isinstance(v, list) and all(isinstance(r, dict) for r in v) for v in lists.values()
            )
        ):
            return JSONResponse(
                {"message": 'expected {"movies": [...], "shows": [...]}'}, status_code=400
            )
        return JSONResponse({"ids": self.seed_records(**lists)})


def _error(status: HTTPStatus, message: str | list[str]) -> Response:
    return JSONResponse(
        {"statusCode": int(status), "message": message, "error": status.phrase}, status_code=status
    )
