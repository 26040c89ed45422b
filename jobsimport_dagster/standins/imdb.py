"""Local IMDb fallback: `GET /search?query=` in the suggestion shape and `GET /title/{id}`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jobsimport_dagster.standins.base import Standin
from jobsimport_dagster.standins.faults import Fault, Faults
from jobsimport_dagster.standins.omdb import FIXTURES, loose_title

SUGGESTION_FIXTURES = {
    "stupid": "imdb_suggestion/v3_x_stupid_includeVideos1.json",
    "flash": "imdb_suggestion/v2_legacy_flash_array_image.json",
}
_MAX_RESULTS = 8
# The IMDb side of the stand-in OMDb's `TRAP_RECORDS` (SPEC §12): what IMDb's search lists for
# those titles, the short typed as IMDb types it (`short`).
TRAP_ENTRIES = (
    ("tt4772188", "Flow", 2024, "movie"),
    ("tt9900101", "Flow", 2024, "short"),
    ("tt3369806", "Max", 2015, "movie"),
    ("tt1392190", "Mad Max: Fury Road", 2015, "movie"),
    ("tt0910970", "WALL·E", 2008, "movie"),
    ("tt9900102", "Walls Have Ears", 2008, "movie"),
    ("tt3281548", "Little Women", 2019, "movie"),
    ("tt9900103", "Little Women", 2018, "movie"),
    ("tt0110367", "Little Women", 1994, "movie"),
    ("tt0110413", "Léon: The Professional", 1994, "movie"),
    ("tt0211915", "Amélie", 2001, "movie"),
    ("tt1586680", "Shameless", 2011, "tvSeries"),
    ("tt0377260", "Shameless", 2004, "tvSeries"),
)


def suggestion(imdb_id: str, title: str, year: int | None, qid: str) -> dict[str, Any]:
    """A known entry in the v3 suggestion shape (`qid` "movie", "tvSeries", "videoGame", ...)."""
    labels = {"movie": "feature", "tvSeries": "TV series", "tvMiniSeries": "TV mini-series"}
    entry: dict[str, Any] = {"id": imdb_id, "l": title, "q": labels.get(qid, qid), "qid": qid}
    if year is not None:
        entry["y"] = year
    return entry


class ImdbStandin(Standin):
    """Known entries start as those of the two real suggestion captures and `TRAP_ENTRIES`;
    `add_entries` adds more.

    A query equal to a capture's own query (`stupid`, `flash`) answers that capture byte for byte,
    so clients meet both the v3 and the legacy v2 shape.
    """

    name = "imdb"

    def __init__(
        self, *, entries: Iterable[Mapping[str, Any]] = (), faults: Faults | None = None
    ) -> None:
        self._captures = {
            q: (FIXTURES / name).read_bytes() for q, name in SUGGESTION_FIXTURES.items()
        }
        self._entries: dict[str, dict[str, Any]] = {}
        for body in self._captures.values():
            self._store(json.loads(body)["d"])
        self._store(suggestion(*entry) for entry in TRAP_ENTRIES)
        self._store(entries)
        super().__init__(faults=faults)

    def routes(self) -> list[Route]:
        return [
            Route("/search", self.guarded("GET /search", self._search), methods=["GET"]),
            Route("/title/{imdb_id}", self.guarded("GET /title", self._title), methods=["GET"]),
        ]

    def add_entries(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Add or replace known entries (suggestion-shape dicts with at least `id` and `l`)."""
        with self._lock:
            self._store(entries)

    def configure_from(self, values: Mapping[str, Any]) -> None:
        unknown = set(values) - {"entries"}
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        entries = values.get("entries", [])
        if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("id"), str) and isinstance(e.get("l"), str)
            for e in entries
        ):
            raise ValueError("entries must be a list of objects with string `id` and `l`")
        self.add_entries(entries)

    def config(self) -> dict[str, Any]:
        with self._lock:
            return {"entries": list(self._entries.values())}

    def _store(self, entries: Iterable[Mapping[str, Any]]) -> None:
        for entry in entries:
            self._entries[entry["id"]] = dict(entry)

    async def _search(self, request: Request, _: Fault | None) -> Response:
        query = request.query_params.get("query", "").strip()
        if not query:
            return JSONResponse({"message": "query is required"}, status_code=400)
        loose = loose_title(query)
        if loose in self._captures:
            return Response(self._captures[loose], media_type="application/json")
        with self._lock:
            found = [e for e in self._entries.values() if loose in loose_title(e["l"])]
        return JSONResponse({"d": found[:_MAX_RESULTS], "q": query, "v": 1})

    async def _title(self, request: Request, _: Fault | None) -> Response:
        imdb_id = request.path_params["imdb_id"]
        with self._lock:
            entry = self._entries.get(imdb_id)
        if entry is None or not imdb_id.startswith("tt"):
            return JSONResponse({"message": f"{imdb_id} not found"}, status_code=404)
        return JSONResponse(
            {
                "id": imdb_id,
                "title": entry["l"],
                "year": entry.get("y"),
                "type": entry.get("qid") or entry.get("q"),
            }
        )
