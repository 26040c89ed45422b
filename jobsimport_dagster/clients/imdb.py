"""IMDb fallback client: suggestion search (v3 and legacy v2 shapes) and title lookup, and the
form a search is cached in (`imdb_search_answer`, read back by `parse_imdb_search`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jobsimport_dagster.clients.http import Answer, HttpPolicy, build_session, send_get
from jobsimport_dagster.clients.omdb import SearchCandidate, parse_year
from jobsimport_dagster.errors import UpstreamUnavailable

# v3 `qid` (or the legacy `q` label) -> kind. Mini-series are series, as OMDb types them;
# anything else keeps its qid-style name (tvMovie, tvEpisode, video, videoGame, ...).
_QID_KINDS = {"movie": "movie", "tvSeries": "series", "tvMiniSeries": "series"}
_LABEL_KINDS = {
    "feature": "movie",
    "TV series": "series",
    "TV mini-series": "series",
    "TV mini series": "series",
    "TV movie": "tvMovie",
    "TV episode": "tvEpisode",
    "TV special": "tvSpecial",
    "TV short": "tvShort",
    "short": "short",
    "video": "video",
    "video game": "videoGame",
}


@dataclass(frozen=True)
class ImdbCandidate:
    """One title the IMDb fallback offers: `kind` is "movie", "series" or another qid-style name."""

    id: str
    title: str
    year: int | None
    kind: str


def kind_of(qid: str | None, label: str | None = None) -> str:
    """The kind from a v3 `qid`, else from a legacy `q` label; "unknown" when neither says."""
    for value in (qid, label):
        if value:
            return _QID_KINDS.get(value) or _LABEL_KINDS.get(value) or value
    return "unknown"


def parse_suggestions(payload: Mapping[str, Any]) -> list[ImdbCandidate]:
    """Title entries of a suggestion answer, in its order.

    Both shapes carry `d: [{id, l, q, y?, qid?}]`; v2 has no `qid` (only the `q` label) and an
    unreleased title has no `y`. People (`nm…`) and lists are dropped: only `tt…` ids count.
    """
    candidates = []
    for entry in payload.get("d") or []:
        if not isinstance(entry, Mapping):
            continue
        imdb_id, title = entry.get("id"), entry.get("l")
        if not (isinstance(imdb_id, str) and imdb_id.startswith("tt") and isinstance(title, str)):
            continue
        year = entry.get("y")
        candidates.append(
            ImdbCandidate(
                id=imdb_id,
                title=title,
                year=year if isinstance(year, int) and not isinstance(year, bool) else None,
                kind=kind_of(entry.get("qid"), entry.get("q")),
            )
        )
    return candidates


def parse_title(payload: Mapping[str, Any]) -> ImdbCandidate:
    """A `/title/{id}` answer: `{id, title, year, type}`, `type` a qid or a legacy label."""
    year = payload.get("year")
    kind = payload.get("type")
    return ImdbCandidate(
        id=str(payload["id"]),
        title=str(payload["title"]),
        year=year if isinstance(year, int) and not isinstance(year, bool) else None,
        kind=kind_of(kind if isinstance(kind, str) else None),
    )


class ImdbClient:
    """Thread-safe; needs no credential. Retries like every GET (see `HttpPolicy`)."""

    def __init__(self, base_url: str, *, policy: HttpPolicy | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = build_session(policy or HttpPolicy())

    def search(self, *, query: str) -> list[ImdbCandidate]:
        return parse_suggestions(_json_object(self._get("/search", {"query": query})))

    def by_id(self, *, imdb_id: str) -> ImdbCandidate | None:
        """The title, or None when the fallback does not know it (404)."""
        answer = self._get(f"/title/{imdb_id}", None, not_found_ok=True)
        if answer.status == 404:
            return None
        return parse_title(_json_object(answer))

    def close(self) -> None:
        self._session.close()

    def _get(
        self, path: str, params: dict[str, str] | None, *, not_found_ok: bool = False
    ) -> Answer:
        answer = send_get(self._session, f"{self.base_url}{path}", upstream="IMDb", params=params)
        if answer.status == 404 and not_found_ok:
            return answer
        if answer.status != 200:
            raise UpstreamUnavailable(f"IMDb answered {answer.status}")
        return answer


def _json_object(answer: Answer) -> Mapping[str, Any]:
    try:
        value = answer.json()
    except ValueError:
        value = None
    if not isinstance(value, Mapping):
        raise UpstreamUnavailable("IMDb answered something other than a JSON object")
    return value


def imdb_search_answer(candidates: Iterable[ImdbCandidate]) -> dict[str, Any]:
    """How an IMDb search is cached, and what `parse_imdb_search` reads back."""
    return {
        "results": [
            {"id": c.id, "title": c.title, "year": c.year, "type": c.kind} for c in candidates
        ]
    }


# The IMDb client's kinds ("movie", "series", or a qid such as "tvMovie") in OMDb's own
# `Type` terms: OMDb files TV movies, videos and shorts under "movie".
_IMDB_KINDS = {
    "tvmovie": "movie",
    "video": "movie",
    "short": "movie",
    "tvshort": "movie",
    "tvepisode": "episode",
    "videogame": "game",
}
_SHORT_KINDS = frozenset({"short", "tvshort"})


def parse_imdb_search(data: Mapping[str, Any]) -> tuple[SearchCandidate, ...]:
    """Title hits of an IMDb search as cached (`results: [{id, title, year, type}]`), the
    suggestion answer already read by the IMDb client; ids that are not titles are dropped."""
    candidates = []
    for entry in data.get("results") or []:
        imdb_id = str(entry.get("id") or "")
        if not imdb_id.startswith("tt"):
            continue
        raw_kind = entry.get("type")
        kind = str(raw_kind).strip().lower() if raw_kind else None
        candidates.append(
            SearchCandidate(
                imdb_id=imdb_id,
                title=str(entry.get("title") or ""),
                year=parse_year(entry.get("year")),
                kind=_IMDB_KINDS.get(kind, kind) if kind else None,
                short=kind in _SHORT_KINDS,
            )
        )
    return tuple(candidates)
