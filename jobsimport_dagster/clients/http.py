"""Shared HTTP plumbing: sessions with timeouts and retries; URL redaction so no secret leaks."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

from jobsimport_dagster.errors import UpstreamUnavailable

# Statuses a GET is sent again for; a POST only for 408/429, which say it was not processed.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
POST_RETRY_STATUSES = frozenset({408, 429})
_SECRET_QUERY = re.compile(r"(?i)\b(apikey|api_key|token)=[^&\s'\")]*")
_URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry")


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

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)


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


def build_session(policy: HttpPolicy, *, idempotent: bool = True) -> requests.Session:
    """A session whose adapter retries with backoff and jitter.

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
    adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=policy.pool_size)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _cause(exc: requests.RequestException) -> object:
    """The urllib3 error under a requests one, unwrapped from `MaxRetryError`."""
    reason = exc.args[0] if exc.args else None
    return reason.reason if isinstance(reason, MaxRetryError) else reason


def never_sent(exc: requests.RequestException) -> bool:
    """True when the connection itself failed, so the server cannot have seen the request."""
    return isinstance(exc, requests.ConnectTimeout) or isinstance(_cause(exc), ConnectTimeoutError)


def describe_failure(exc: requests.RequestException) -> str:
    """A short, secret-free phrase for a transport failure."""
    cause = _cause(exc)
    if isinstance(cause, NewConnectionError):
        return "the connection could not be opened"
    if never_sent(exc):
        return "the connection timed out"
    if isinstance(exc, requests.ReadTimeout) or isinstance(cause, ReadTimeoutError):
        return "the answer timed out"
    if isinstance(exc, requests.ConnectionError):
        return "the connection broke"
    return type(exc).__name__


def send_get(
    session: requests.Session,
    url: str,
    *,
    upstream: str,
    timeout: tuple[float, float],
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """GET with the session's retries; whatever outlived them becomes `UpstreamUnavailable`.

    Answers with a status outside `RETRY_STATUSES` come back for the caller to read.
    """
    try:
        response = session.get(url, params=params, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        raise UpstreamUnavailable(f"{upstream} did not answer: {describe_failure(exc)}") from None
    if response.status_code in RETRY_STATUSES:
        raise UpstreamUnavailable(
            f"{upstream} answered {response.status_code} after {_attempts(response)} attempts"
        )
    return response


def _attempts(response: requests.Response) -> int:
    retries = getattr(response.raw, "retries", None)
    return 1 + len(retries.history) if retries is not None else 1
