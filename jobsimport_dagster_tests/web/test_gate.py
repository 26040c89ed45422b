"""The token gate: only requests carrying JOBSIMPORT_UI_TOKEN reach the app, HTTP and websocket."""

import asyncio
import base64
from dataclasses import dataclass, field
from typing import Any

import pytest

from jobsimport_dagster.web.gate import (
    SESSION_COOKIE,
    SESSION_SECONDS,
    Credential,
    TokenGate,
    is_same_origin,
    is_session,
    presented_token,
    session_value,
)

TOKEN = "s3cret-token-ü"
NOW = 1_800_000_000.0
HOST = "127.0.0.1:3000"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@dataclass
class Exchange:
    """What the client got back, and whether the wrapped app saw the request at all."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    app_called: bool = False

    @property
    def status(self) -> int | None:
        start = next((m for m in self.messages if m["type"].endswith("response.start")), None)
        return start["status"] if start else None

    @property
    def headers(self) -> dict[str, str]:
        start = next(m for m in self.messages if m["type"].endswith("response.start"))
        return {k.decode(): v.decode() for k, v in start["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages if m["type"].endswith("body"))


def call(
    headers: dict[str, str],
    *,
    kind: str = "http",
    scheme: str = "http",
    extensions: dict[str, Any] | None = None,
    now: float = NOW,
) -> Exchange:
    """One request through the gate in front of an app that answers 200 (or accepts)."""
    exchange = Exchange()

    async def app(scope: dict, receive: Any, send: Any) -> None:
        exchange.app_called = True
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"the UI"})
        else:
            await receive()
            await send({"type": "websocket.accept"})

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"} if kind == "websocket" else {"type": "http.request"}

    async def send(message: dict[str, Any]) -> None:
        exchange.messages.append(message)

    scope = {
        "type": kind,
        "scheme": scheme,
        "method": "GET",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "server": ("127.0.0.1", 3000),
        # Header values travel as raw bytes: a client sends a UTF-8 token as its UTF-8 bytes.
        "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": HOST, **headers}.items()],
        "extensions": {"websocket.http.response": {}} if extensions is None else extensions,
    }
    asyncio.run(TokenGate(app, TOKEN, clock=lambda: now)(scope, receive, send))
    return exchange


def cookie(value: str) -> dict[str, str]:
    return {"cookie": f"other=1; {SESSION_COOKIE}={value}"}


GOOD_SESSION = session_value(TOKEN, now=NOW - 60)


@pytest.mark.parametrize(
    ("headers", "passes"),
    [
        # nothing at all: the browser's first request
        ({}, False),
        # Bearer with the token; the scheme name is case-insensitive
        ({"authorization": f"Bearer {TOKEN}"}, True),
        ({"authorization": f"bearer {TOKEN}"}, True),
        # Bearer with something else, or with nothing
        ({"authorization": "Bearer s3cret-token"}, False),
        ({"authorization": "Bearer "}, False),
        # Basic: any user name, the token as password
        ({"authorization": basic("me", TOKEN)}, True),
        ({"authorization": basic("", TOKEN)}, True),
        # Basic with the token as user name instead, or a wrong password
        ({"authorization": basic(TOKEN, "")}, False),
        ({"authorization": basic("me", "guess")}, False),
        # Basic that is not base64, or has no colon
        ({"authorization": "Basic !!!"}, False),
        ({"authorization": "Basic " + base64.b64encode(TOKEN.encode()).decode()}, False),
        # another scheme carrying the token
        ({"authorization": f"Token {TOKEN}"}, False),
        # the session cookie of a Basic login, from the UI's own page or with no Origin
        (cookie(GOOD_SESSION), True),
        ({**cookie(GOOD_SESSION), "origin": f"http://{HOST}"}, True),
        # the same cookie sent by another page the browser has open (another local port too)
        ({**cookie(GOOD_SESSION), "origin": "http://127.0.0.1:8080"}, False),
        ({**cookie(GOOD_SESSION), "origin": "null"}, False),
        # an expired cookie, one made with another token, one whose signature was edited
        (cookie(session_value(TOKEN, now=NOW - SESSION_SECONDS - 1)), False),
        (cookie(session_value("old-token", now=NOW)), False),
        (cookie(GOOD_SESSION[:-1] + ("0" if GOOD_SESSION[-1] != "0" else "1")), False),
        # a cookie that is not ours in shape
        (cookie("yes"), False),
    ],
)
def test_http_requests_pass_only_with_the_token(headers: dict[str, str], passes: bool) -> None:
    exchange = call(headers)
    assert exchange.app_called is passes
    if passes:
        assert (exchange.status, exchange.body) == (200, b"the UI")
    else:
        assert exchange.status == 401
        assert exchange.headers["www-authenticate"] == 'Basic realm="jobsimport", charset="UTF-8"'
        assert b"the UI" not in exchange.body and TOKEN.encode() not in exchange.body


def test_a_basic_login_gets_a_session_cookie_without_the_token() -> None:
    exchange = call({"authorization": basic("me", TOKEN)})
    set_cookie = exchange.headers["set-cookie"]
    name_value, *attributes = set_cookie.split("; ")
    name, value = name_value.split("=", 1)
    assert name == SESSION_COOKIE
    assert TOKEN not in set_cookie
    assert is_session(value, TOKEN, now=NOW)
    assert attributes == [
        "Path=/", f"Max-Age={SESSION_SECONDS}", "HttpOnly", "SameSite=Strict"
    ]  # fmt: skip
    # Over TLS the cookie is also `Secure`.
    secure = call({"authorization": basic("me", TOKEN)}, scheme="https").headers["set-cookie"]
    assert secure.endswith("; Secure")


@pytest.mark.parametrize(
    "headers",
    [
        # scripts: Bearer gets no cookie
        {"authorization": f"Bearer {TOKEN}"},
        # a browser that already has its cookie gets no new one
        cookie(GOOD_SESSION),
    ],
)
def test_no_cookie_is_set_for_bearer_or_an_existing_session(headers: dict[str, str]) -> None:
    assert "set-cookie" not in call(headers).headers


@pytest.mark.parametrize(
    ("headers", "accepted"),
    [
        # no token: refused before the handshake
        ({}, False),
        # a script's websocket with a header
        ({"authorization": f"Bearer {TOKEN}"}, True),
        # the UI's websocket: the browser sends the cookie and its page as Origin
        ({**cookie(GOOD_SESSION), "origin": f"http://{HOST}"}, True),
        # another page's websocket with the browser's cookie
        ({**cookie(GOOD_SESSION), "origin": "http://evil.example"}, False),
    ],
)
def test_websockets_pass_only_with_the_token(headers: dict[str, str], accepted: bool) -> None:
    exchange = call(headers, kind="websocket")
    assert exchange.app_called is accepted
    if accepted:
        assert exchange.messages == [{"type": "websocket.accept"}]
    else:
        assert exchange.status == 401
        assert [m["type"] for m in exchange.messages] == [
            "websocket.http.response.start", "websocket.http.response.body"
        ]  # fmt: skip


def test_a_websocket_is_closed_when_the_server_cannot_send_a_401() -> None:
    exchange = call({}, kind="websocket", extensions={})
    assert not exchange.app_called
    assert exchange.messages == [{"type": "websocket.close", "code": 1008}]


def test_lifespan_messages_reach_the_app() -> None:
    seen: list[str] = []

    async def app(scope: dict, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    async def nothing(*_: Any) -> None:
        return None

    asyncio.run(TokenGate(app, TOKEN)({"type": "lifespan"}, nothing, nothing))
    assert seen == ["lifespan"]


def test_an_empty_token_is_refused() -> None:
    async def app(*_: Any) -> None:
        return None

    with pytest.raises(ValueError, match="non-empty token"):
        TokenGate(app, "")


@pytest.mark.parametrize(
    ("authorization", "expected"),
    [
        # absent or empty
        (None, None),
        ("", None),
        # Bearer, with stray spaces around the value
        ("Bearer  abc ", (Credential.BEARER, b"abc")),
        # Basic: the password may itself hold colons
        (basic("me", "a:b:c"), (Credential.BASIC, b"a:b:c")),
        # Basic's password as the raw bytes sent, UTF-8 or not
        ("Basic " + base64.b64encode(b"me:\xff").decode(), (Credential.BASIC, b"\xff")),
    ],
)
def test_presented_token(authorization: str | None, expected: tuple | None) -> None:
    assert presented_token(authorization) == expected


@pytest.mark.parametrize(
    ("offset", "valid"),
    [
        # just made
        (0, True),
        # the last second of its life
        (SESSION_SECONDS, True),
        # a second later
        (SESSION_SECONDS + 1, False),
    ],
)
def test_a_session_lasts_its_max_age(offset: int, valid: bool) -> None:
    value = session_value(TOKEN, now=NOW, nonce="n")
    assert is_session(value, TOKEN, now=NOW + offset) is valid


@pytest.mark.parametrize(
    ("origin", "host", "same"),
    [
        # no Origin: a top-level navigation or a script
        (None, HOST, True),
        # the UI's own page
        (f"http://{HOST}", HOST, True),
        # another port on the same machine is another origin
        ("http://127.0.0.1:3001", HOST, False),
        # no Host header to compare with
        (f"http://{HOST}", None, False),
    ],
)
def test_is_same_origin(origin: str | None, host: str | None, same: bool) -> None:
    assert is_same_origin(origin, host) is same
