"""The token gate: with JOBSIMPORT_UI_TOKEN set, only requests that carry it reach the UI."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from enum import StrEnum
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "jobsimport_session"
SESSION_SECONDS = 12 * 3600
CHALLENGE = 'Basic realm="jobsimport", charset="UTF-8"'
_DENIED = b"401 Unauthorized: send the JOBSIMPORT_UI_TOKEN (Basic password or Bearer).\n"


class Credential(StrEnum):
    """How a request proved it knows the token."""

    BASIC = "basic"
    BEARER = "bearer"
    SESSION = "session"


def presented_token(authorization: str | None) -> tuple[Credential, bytes] | None:
    """The token an `Authorization` header carries, as bytes: Bearer's value or Basic's password.

    Basic's user name is ignored: the token is the password, whatever name a browser sends.
    Bytes, because header values arrive as raw bytes (read as Latin-1) and Basic's as base64:
    a UTF-8 token then matches either way.
    """
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return Credential.BEARER, value.encode("latin-1")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True)
        except binascii.Error:
            return None
        _, colon, password = decoded.partition(b":")
        return (Credential.BASIC, password) if colon else None
    return None


def is_token(candidate: bytes, token: str) -> bool:
    """Constant-time comparison, so the answer's timing says nothing about the token."""
    return hmac.compare_digest(candidate, token.encode("utf-8"))


def _signature(token: str, payload: str) -> str:
    return hmac.new(token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha256).hexdigest()


def session_value(token: str, *, now: float, nonce: str | None = None) -> str:
    """A cookie value that proves a Basic login without holding the token.

    `<expiry>.<nonce>.<HMAC-SHA256(token, expiry.nonce)>`: it stops working when it expires
    or when the token changes, and the token cannot be read back from it.
    """
    payload = f"{int(now) + SESSION_SECONDS}.{nonce or secrets.token_hex(16)}"
    return f"{payload}.{_signature(token, payload)}"


def is_session(value: str | None, token: str, *, now: float) -> bool:
    if not value or value.count(".") != 2:
        return False
    expiry, nonce, signature = value.split(".")
    if not expiry.isdigit() or int(expiry) < now:
        return False
    return hmac.compare_digest(signature.encode(), _signature(token, f"{expiry}.{nonce}").encode())


def is_same_origin(origin: str | None, host: str | None) -> bool:
    """A browser's `Origin` names the page that sent the request; a cookie counts only from ours.

    Without this, any page the browser has open (another localhost port included) could drive
    the UI's GraphQL API, websocket too, with the session cookie the browser adds on its own.
    """
    return origin is None or (host is not None and urlsplit(origin).netloc == host)


class TokenGate:
    """ASGI middleware in front of the whole app: HTTP and websocket, every path.

    A request passes with `Authorization: Bearer <token>`, Basic with the token as password,
    or the session cookie a Basic login gets (for the browser's websocket, which cannot set
    headers). Anything else gets 401 with a Basic challenge, so a browser asks for the token,
    and no byte of the app. The token is never logged or echoed.
    """

    def __init__(self, app: ASGIApp, token: str, *, clock: Callable[[], float] = time.time) -> None:
        if not token:
            raise ValueError("the token gate needs a non-empty token")
        self.app = app
        self._token = token
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):  # lifespan
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        credential = self._credential(connection)
        if credential is None:
            await self._deny(scope, receive, send)
            return
        if credential is Credential.BASIC and scope["type"] == "http":
            send = self._with_session_cookie(send, secure=connection.url.scheme == "https")
        await self.app(scope, receive, send)

    def _credential(self, connection: HTTPConnection) -> Credential | None:
        presented = presented_token(connection.headers.get("authorization"))
        if presented is not None and is_token(presented[1], self._token):
            return presented[0]
        cookie = connection.cookies.get(SESSION_COOKIE)
        if is_session(cookie, self._token, now=self._clock()) and is_same_origin(
            connection.headers.get("origin"), connection.headers.get("host")
        ):
            return Credential.SESSION
        return None

    def _with_session_cookie(self, send: Send, *, secure: bool) -> Send:
        cookie = (
            f"{SESSION_COOKIE}={session_value(self._token, now=self._clock())}; Path=/; "
            f"Max-Age={SESSION_SECONDS}; HttpOnly; SameSite=Strict{'; Secure' if secure else ''}"
        )

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("set-cookie", cookie)
            await send(message)

        return send_with_cookie

    async def _deny(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (b"www-authenticate", CHALLENGE.encode()),
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(_DENIED)).encode()),
            (b"cache-control", b"no-store"),
        ]
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 401, "headers": headers})
            await send({"type": "http.response.body", "body": _DENIED})
            return
        await receive()  # websocket.connect
        if "websocket.http.response" in scope.get("extensions", {}):
            await send({"type": "websocket.http.response.start", "status": 401, "headers": headers})
            await send({"type": "websocket.http.response.body", "body": _DENIED})
        else:  # a server without the denial-response extension answers 403
            await send({"type": "websocket.close", "code": 1008})
