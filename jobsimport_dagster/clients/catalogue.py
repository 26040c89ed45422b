"""api.ashish.me client: list the catalogue; create movies and shows, never re-sending blindly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from urllib3.exceptions import HTTPError

from jobsimport_dagster.clients.http import (
    POST_RETRY_STATUSES,
    Answer,
    HttpPolicy,
    build_session,
    describe_failure,
    never_sent,
    send_get,
)
from jobsimport_dagster.errors import (
    InsertFailed,
    InsertRejected,
    MissingCredential,
    UpstreamUnavailable,
)

CREDENTIAL = "ASHISHDOTME_TOKEN"
_REFUSED = frozenset({401, 403})
_MAX_MESSAGE = 300


def api_message(answer: Answer) -> str:
    """The API's own explanation: NestJS `message` (a string or a list), else the body's start."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    if isinstance(message, list):
        message = "; ".join(str(m) for m in message)
    text = str(message) if message else answer.text.strip() or answer.reason
    return text[:_MAX_MESSAGE]


class CatalogueClient:
    """Thread-safe. The token goes in the `apiKey` header and never into a message.

    GETs retry like every GET. A POST is sent again only when it surely did not arrive
    (connection refused or timed out before sending, 408, 429). When it may have arrived
    (read timeout, reset, 5xx) it raises `InsertFailed(maybe_arrived=True)`: the caller
    looks for the record with a fresh GET before sending it again.
    """

    def __init__(
        self, base_url: str, token: str | None, *, policy: HttpPolicy | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        policy = policy or HttpPolicy()
        self._get_session = build_session(policy)
        self._post_session = build_session(policy, idempotent=False)

    def list_movies(self) -> list[dict[str, Any]]:
        return self._list("movies")

    def list_shows(self) -> list[dict[str, Any]]:
        """Shows as the API lists them: per season, or nested with `seasons` (the live shape)."""
        return self._list("shows")

    def create_movie(self, *, body: Mapping[str, Any]) -> str:
        """POST /movies; returns the new record's id."""
        return self._create("movies", body)

    def create_show(self, *, body: Mapping[str, Any]) -> str:
        """POST /shows (one season); returns the new record's id."""
        return self._create("shows", body)

    def close(self) -> None:
        self._get_session.close()
        self._post_session.close()

    def _headers(self) -> dict[str, str]:
        if not self._token:
            raise MissingCredential(CREDENTIAL, "it is not set")
        return {"apiKey": self._token}

    def _list(self, kind: str) -> list[dict[str, Any]]:
        answer = send_get(
            self._get_session,
            f"{self.base_url}/{kind}",
            upstream="api.ashish.me",
            headers=self._headers(),
        )
        self._check_refused(answer)
        if answer.status != 200:
            raise UpstreamUnavailable(
                f"api.ashish.me answered {answer.status} to GET /{kind}: {self._message(answer)}"
            )
        try:
            records = answer.json()
        except ValueError:
            records = None
        if not isinstance(records, list):
            raise UpstreamUnavailable(
                f"api.ashish.me answered GET /{kind} with something other than a list"
            )
        return records

    def _create(self, kind: str, body: Mapping[str, Any]) -> str:
        headers = self._headers()
        try:
            answer = self._post_session.post_json(
                f"{self.base_url}/{kind}", dict(body), headers=headers
            )
        except HTTPError as exc:
            if never_sent(exc):
                raise UpstreamUnavailable(
                    f"api.ashish.me did not answer POST /{kind}: {describe_failure(exc)}"
                ) from None
            raise InsertFailed(
                f"POST /{kind} may have arrived: {describe_failure(exc)}", maybe_arrived=True
            ) from None
        except ValueError as exc:  # NaN or infinity: not JSON, so nothing was sent
            raise InsertFailed(
                f"POST /{kind} was not sent: the body is not valid JSON", maybe_arrived=False
            ) from exc
        self._check_refused(answer)
        status = answer.status
        if status in POST_RETRY_STATUSES:
            raise UpstreamUnavailable(
                f"api.ashish.me answered {status} to POST /{kind} after retries"
            )
        if status >= 500:
            raise InsertFailed(
                f"POST /{kind} may have arrived: the API answered {status}", maybe_arrived=True
            )
        if status >= 400:
            raise InsertRejected(status, self._message(answer))
        try:
            record_id = answer.json().get("id")
        except (ValueError, AttributeError):
            record_id = None
        if record_id is None or record_id == "":
            raise InsertFailed(
                f"POST /{kind} answered {status} without a record id", maybe_arrived=True
            )
        return str(record_id)

    def _check_refused(self, answer: Answer) -> None:
        if answer.status in _REFUSED:
            raise MissingCredential(CREDENTIAL, f"api.ashish.me answered {answer.status}")

    def _message(self, answer: Answer) -> str:
        """The API's message with the token blanked, should the API ever echo it."""
        message = api_message(answer)
        return message.replace(self._token, "***") if self._token else message
