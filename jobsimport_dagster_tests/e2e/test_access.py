"""With JOBSIMPORT_UI_TOKEN set, `jobsimport dev` serves the UI and /graphql only with the token."""

import json

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from jobsimport_dagster.clients.dagster_graphql import DagsterGraphQLClient
from jobsimport_dagster.errors import DagsterApiError
from jobsimport_dagster_tests.e2e.conftest import System

QUERY = {"query": "{ version }"}


# The UI's pages, Dagster's info endpoint, and GraphQL over GET and POST.
REQUESTS = [
    ("GET", "/", None),
    ("GET", "/runs", None),
    ("GET", "/server_info", None),
    ("GET", "/graphql?query=%7Bversion%7D", None),
    ("POST", "/graphql", QUERY),
]


def _ws(system: System) -> str:
    return system.url.replace("http://", "ws://") + "/graphql"


def _graphql_ws_handshake(headers: dict[str, str], system: System) -> str:
    """Open the UI's websocket as Dagster's UI does and return the server's first message."""
    with connect(_ws(system), subprotocols=["graphql-ws"], additional_headers=headers) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        return json.loads(ws.recv(timeout=10))["type"]


@pytest.mark.parametrize(
    "headers",
    [
        # nothing
        {},
        # a wrong token, either way
        {"Authorization": "Bearer not-the-token"},
        {"Authorization": "Basic bWU6bm90LXRoZS10b2tlbg=="},
    ],
)
def test_requests_without_the_token_get_401_and_nothing_else(
    system: System, headers: dict[str, str]
) -> None:
    for method, path, body in REQUESTS:
        response = requests.request(
            method, system.url + path, json=body, headers=headers, timeout=10
        )
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"].startswith("Basic ")
        assert "dagster" not in response.text.lower() and "set-cookie" not in response.headers
    with pytest.raises(InvalidStatus) as refused:
        _graphql_ws_handshake(headers, system)
    assert refused.value.response.status_code == 401


def test_bearer_and_basic_reach_the_ui_and_graphql(system: System) -> None:
    for auth in (
        {"headers": {"Authorization": f"Bearer {system.token}"}},
        {"auth": ("me", system.token)},
    ):
        for method, path, body in REQUESTS:
            response = requests.request(method, system.url + path, json=body, timeout=30, **auth)
            assert response.status_code == 200, (path, response.text[:200])
        page = requests.get(system.url + "/runs", timeout=30, **auth).text
        assert "__NEXT_DATA__" in page  # the UI's shell
        answer = requests.post(system.url + "/graphql", json=QUERY, timeout=30, **auth).json()
        assert answer["data"]["version"]
    assert (
        _graphql_ws_handshake({"Authorization": f"Bearer {system.token}"}, system)
        == "connection_ack"
    )


def test_a_browser_login_keeps_a_session_cookie(system: System, session_cookie: str) -> None:
    assert system.token not in session_cookie
    cookies = {"jobsimport_session": session_cookie}
    assert requests.get(system.url + "/runs", cookies=cookies, timeout=30).status_code == 200
    assert requests.post(system.url + "/graphql", json=QUERY, cookies=cookies, timeout=30).ok
    # The UI's websocket carries the cookie and its page as Origin; another page's does not pass.
    cookie_header = {"Cookie": f"jobsimport_session={session_cookie}"}
    assert (
        _graphql_ws_handshake({**cookie_header, "Origin": system.url}, system) == "connection_ack"
    )
    with pytest.raises(InvalidStatus) as refused:
        _graphql_ws_handshake({**cookie_header, "Origin": "http://127.0.0.1:1"}, system)
    assert refused.value.response.status_code == 401


def test_the_client_sends_the_token_and_says_when_it_is_refused(system: System) -> None:
    assert DagsterGraphQLClient(system.url, system.token).partition_keys() is not None
    for token in (None, "not-the-token"):
        with pytest.raises(DagsterApiError, match="set JOBSIMPORT_UI_TOKEN") as refused:
            DagsterGraphQLClient(system.url, token).partition_keys()
        assert system.token not in str(refused.value)
