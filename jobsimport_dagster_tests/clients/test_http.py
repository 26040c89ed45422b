"""Sessions retry GETs through faults, POSTs only when unsent; no secret reaches logs or errors."""

import logging
import socket
import time
from collections.abc import Iterator
from dataclasses import replace

import certifi
import pytest

from jobsimport_dagster.clients.http import (
    HttpPolicy,
    build_session,
    redact_url,
    send_get,
)
from jobsimport_dagster.errors import UpstreamUnavailable
from jobsimport_dagster.standins.catalogue import DEFAULT_TOKEN, CatalogueStandin
from jobsimport_dagster.standins.faults import Faults
from jobsimport_dagster.standins.omdb import DEFAULT_API_KEY, OmdbStandin
from jobsimport_dagster.standins.server import RunningStandin, start_standin


@pytest.fixture(scope="module")
def omdb() -> Iterator[RunningStandin]:
    with start_standin(OmdbStandin()) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(omdb: RunningStandin) -> None:
    omdb.standin.reset()
    omdb.standin.set_faults(Faults())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        # a plain OMDb URL
        ("http://h/?apikey=s3cret&t=up", "http://h/?apikey=***&t=up"),
        # the key last, and upper case
        ("http://h/?t=up&APIKEY=s3cret", "http://h/?t=up&APIKEY=***"),
        # inside a urllib3 message, quoted and in parentheses
        ("url: /?apikey=s3cret (Caused by X)", "url: /?apikey=*** (Caused by X)"),
        ("GET '/?t=up&apikey=s3cret'", "GET '/?t=up&apikey=***'"),
        # other secret-looking parameters
        ("/x?token=abc&api_key=def", "/x?token=***&api_key=***"),
        # nothing to hide
        ("http://h/?t=apikey", "http://h/?t=apikey"),
    ],
)  # fmt: skip
def test_redact_url_hides_secret_values(text: str, redacted: str) -> None:
    assert redact_url(text) == redacted


def test_urllib3_debug_lines_never_show_the_key(
    omdb: RunningStandin, policy: HttpPolicy, caplog: pytest.LogCaptureFixture
) -> None:
    omdb.standin.set_faults(error_rate=0.5)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    session = build_session(policy)
    for i in range(4):
        answer = send_get(
            session,
            omdb.base_url,
            upstream="OMDb",
            params={"apikey": DEFAULT_API_KEY, "t": f"film {i}"},
        )
        assert answer.status == 200
    assert "apikey=***" in caplog.text
    assert DEFAULT_API_KEY not in caplog.text


def test_gets_are_retried_through_5xx_and_429(omdb: RunningStandin, policy: HttpPolicy) -> None:
    omdb.standin.set_faults(error_rate=0.4, rate_429=0.2)
    session = build_session(policy)
    for i in range(20):
        params = {"apikey": DEFAULT_API_KEY, "t": f"film {i}"}
        assert send_get(session, omdb.base_url, upstream="OMDb", params=params).ok
    assert omdb.standin.stats()["requests"] > 20


def test_a_huge_retry_after_is_capped(omdb: RunningStandin, policy: HttpPolicy) -> None:
    omdb.standin.set_faults(rate_429=1.0, retry_after=3600)
    session = build_session(replace(policy, retries=1, max_retry_after=1))
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable, match="429 after 2 attempts"):
        send_get(session, omdb.base_url, upstream="OMDb")
    assert 1 <= time.monotonic() - started < 3


def test_a_refused_connection_becomes_upstream_unavailable_without_the_key(
    policy: HttpPolicy,
) -> None:
    session = build_session(replace(policy, retries=2))
    with pytest.raises(UpstreamUnavailable) as raised:
        send_get(
            session,
            f"http://127.0.0.1:{_free_port()}/",
            upstream="OMDb",
            params={"apikey": DEFAULT_API_KEY},
        )
    assert "could not be opened" in str(raised.value)
    assert DEFAULT_API_KEY not in str(raised.value)
    assert raised.value.__suppress_context__  # the urllib3 error, URL and key included, is hidden


def test_posts_are_retried_on_429_but_not_on_5xx(policy: HttpPolicy) -> None:
    with start_standin(CatalogueStandin(faults=Faults(rate_429=1.0))) as running:
        session = build_session(replace(policy, retries=3), idempotent=False)
        url, headers = f"{running.base_url}/movies", {"apiKey": DEFAULT_TOKEN}
        assert session.post_json(url, {}, headers=headers).status == 429
        assert running.standin.stats()["requests"] == 4
        running.standin.reset()
        running.standin.set_faults(rate_429=0.0, error_rate=1.0)
        assert session.post_json(url, {}, headers=headers).status == 503
        assert running.standin.stats()["requests"] == 1


def test_a_body_that_is_not_json_is_refused_before_sending(policy: HttpPolicy) -> None:
    with start_standin(CatalogueStandin()) as running:
        session = build_session(policy, idempotent=False)
        with pytest.raises(ValueError, match="JSON"):
            session.post_json(f"{running.base_url}/movies", {"imdbRating": float("nan")})
        assert running.standin.stats()["requests"] == 0


def test_the_ca_bundle_is_chosen_as_requests_chose_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def trusted() -> str:
        return build_session(HttpPolicy())._pools.connection_pool_kw["ca_certs"]

    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    assert trusted() == certifi.where()
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/ssl/curl.pem")
    assert trusted() == "/etc/ssl/curl.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corporate.pem")
    assert trusted() == "/etc/ssl/corporate.pem"
