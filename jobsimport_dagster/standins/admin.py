"""Control a stand-in running in another process through its `/_standin/` endpoints."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import requests

from jobsimport_dagster.standins.base import ADMIN_PREFIX


class StandinAdmin:
    """The HTTP twin of a stand-in's Python API, for e2e tests and the demo."""

    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def faults(self) -> dict[str, Any]:
        return self._call("GET", "faults")

    def set_faults(self, **changes: Any) -> dict[str, Any]:
        """Change some fault fields (`error_rate=0.2`, `hang_seconds=1`); returns all of them."""
        return self._call("POST", "faults", changes)

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "stats")

    def reset(self) -> dict[str, Any]:
        return self._call("POST", "reset")

    def config(self) -> dict[str, Any]:
        return self._call("GET", "config")

    def configure(self, **values: Any) -> dict[str, Any]:
        """OMDb: api_key, daily_limit, not_found. IMDb: entries. Catalogue: token, shows_shape."""
        return self._call("POST", "config", values)

    def records(self) -> dict[str, Any]:
        """Catalogue only: the stored `movies` and `shows`, per season."""
        return self._call("GET", "records")

    def seed_records(
        self, *, movies: Iterable[Mapping[str, Any]] = (), shows: Iterable[Mapping[str, Any]] = ()
    ) -> list[str]:
        """Catalogue only: store records as if posted earlier; returns their ids."""
        body = {"movies": [dict(m) for m in movies], "shows": [dict(s) for s in shows]}
        return self._call("POST", "records", body)["ids"]

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        response = requests.request(
            method, f"{self.base_url}{ADMIN_PREFIX}/{path}", json=body, timeout=self.timeout
        )
        if response.status_code >= 400:
            raise ValueError(f"the stand-in refused {method} {path}: {response.text}")
        return response.json()
