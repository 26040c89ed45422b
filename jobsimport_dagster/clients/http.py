"""Shared HTTP plumbing: urllib3 pools with timeouts and retries; URL redaction so no secret leaks.

urllib3 directly rather than `requests`: a call costs about a third of the CPU, which matters
with many threads on few cores.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import certifi
from urllib3 import PoolManager, Timeout
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util import make_headers
from urllib3.util.retry import Retry

from jobsimport_dagster.errors import UpstreamUnavailable
from jobsimport_dagster.settings import ca_bundle

# Statuses a GET is sent again for; a POST only for 408/429, which say it was not processed.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
POST_RETRY_STATUSES = frozenset({408, 429})
_SECRET_QUERY = re.compile(r"(?i)\b(apikey|api_key|token)=[^&\s'\")]*")
_URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.poolmanager", "urllib3.util.retry")
# What `requests` sent by default: compressed answers are welcome (urllib3 decodes them).
_DEFAULT_HEADERS = {"Accept": "*/*", **make_headers(accept_encoding=True)}


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts and retries for one upstream.

    The defaults outlast a 20% 5xx/429 rate with 5% hangs: 10 retries fail together about once
    in 10^6 calls. Tests pass small timeouts and backoffs. `max_retry_after` caps a server's
    Retry-After so a 429 saying "come back in an hour" cannot stall a run.
    """

    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    retries: int = 10
    backoff_factor: float = 0.25
    backoff_max: float = 8.0
    backoff_jitter: float = 0.25
    max_retry_after: int = 10
    pool_size: int = 16


@dataclass(frozen=True)
class Answer:
    """A whole answer, read before it is returned; `attempts` counts the retries' sends too."""

    status: int
    data: bytes
    reason: str
    attempts: int

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def text(self) -> str:
        """The body as UTF-8 (JSON's encoding), undecodable bytes replaced."""
        return self.data.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed; raises ValueError when it is not JSON."""
        return json.loads(self.data)


class HttpSession:
    """Thread-safe: one urllib3 pool manager whose retries and timeouts come from the policy.

    Methods raise urllib3's `HTTPError`s when the transport fails; its messages hold the URL,
    query secrets included, so callers re-raise their own (see `describe_failure`).
    """

    def __init__(self, policy: HttpPolicy, retry: Retry) -> None:
        self._pools = PoolManager(
            num_pools=4,
            maxsize=policy.pool_size,
            block=False,
            retries=retry,
            timeout=Timeout(connect=policy.connect_timeout, read=policy.read_timeout),
            ca_certs=ca_bundle() or certifi.where(),
        )

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """GET `url` with `params` URL-encoded into its query."""
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        return self._send("GET", url, None, headers)

    def post_json(self, url: str, body: Any, *, headers: Mapping[str, str] | None = None) -> Answer:
        """POST `body` as JSON; NaN and infinities are refused (ValueError) before sending."""
        data = json.dumps(body, allow_nan=False).encode("utf-8")
        return self._send(
            "POST", url, data, {**(headers or {}), "Content-Type": "application/json"}
        )

    def close(self) -> None:
        self._pools.clear()

    def _send(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str] | None
    ) -> Answer:
        response = self._pools.urlopen(
            method, url, body=body, headers={**_DEFAULT_HEADERS, **(headers or {})}
        )
        retries = response.retries
        return Answer(
            status=response.status,
            data=response.data,
            reason=response.reason or "",
            attempts=1 + len(retries.history) if retries is not None else 1,
        )


def redact_url(text: str) -> str:
    """`text` with every `apikey=`/`token=` query value replaced by `***` (URLs, error messages)."""
    return _SECRET_QUERY.sub(lambda m: f"{m.group(1)}=***", text)


class _RedactingFilter(logging.Filter):
    """urllib3 logs request lines (`GET /?apikey=...`) at DEBUG: rewrite them before any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_url(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def _install_log_redaction() -> None:
    for name in _URLLIB3_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactingFilter) for f in logger.filters):
            logger.addFilter(_RedactingFilter())


def build_session(policy: HttpPolicy, *, idempotent: bool = True) -> HttpSession:
    """A session that retries with backoff and jitter.

    `idempotent` (GET): connection errors, read timeouts and `RETRY_STATUSES` are retried.
    Otherwise (POST): only failures that prove the request was not taken are retried,
    connection errors before sending and 408/429; a read timeout or reset raises at once.
    """
    _install_log_redaction()
    retry = Retry(
        total=policy.retries,
        connect=policy.retries,
        read=policy.retries if idempotent else False,
        status=policy.retries,
        other=policy.retries if idempotent else 0,
        allowed_methods=frozenset({"GET", "HEAD"} if idempotent else {"POST"}),
        status_forcelist=RETRY_STATUSES if idempotent else POST_RETRY_STATUSES,
        backoff_factor=policy.backoff_factor,
        backoff_max=policy.backoff_max,
        backoff_jitter=policy.backoff_jitter,
        retry_after_max=policy.max_retry_after,
        raise_on_status=False,
        raise_on_redirect=False,
    )
    return HttpSession(policy, retry)


def _cause(exc: HTTPError) -> object:
    """The error itself, or the last one under a `MaxRetryError`."""
    return exc.reason if isinstance(exc, MaxRetryError) else exc


def never_sent(exc: HTTPError) -> bool:
    """True when the connection itself failed, so the server cannot have seen the request."""
    # NewConnectionError (refused, no route, unknown host) is a ConnectTimeoutError in urllib3 2.
    return isinstance(_cause(exc), ConnectTimeoutError)


def describe_failure(exc: HTTPError) -> str:
    """A short, secret-free phrase for a transport failure."""
    cause = _cause(exc)
    if isinstance(cause, NewConnectionError):
        return "the connection could not be opened"
    if isinstance(cause, ConnectTimeoutError):
        return "the connection timed out"
    if isinstance(cause, ReadTimeoutError):
        return "the answer timed out"
    if isinstance(exc, MaxRetryError) or isinstance(cause, ProtocolError | SSLError | ProxyError):
        return "the connection broke"
    return type(exc).__name__


def send_get(
    session: HttpSession,
    url: str,
    *,
    upstream: str,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Answer:
    """GET with the session's retries; whatever outlived them becomes `UpstreamUnavailable`.

    Answers with a status outside `RETRY_STATUSES` come back for the caller to read.
    """
    try:
        answer = session.get(url, params=params, headers=headers)
    except HTTPError as exc:
        raise UpstreamUnavailable(f"{upstream} did not answer: {describe_failure(exc)}") from None
    if answer.status in RETRY_STATUSES:
        raise UpstreamUnavailable(
            f"{upstream} answered {answer.status} after {answer.attempts} attempts"
        )
    return answer
