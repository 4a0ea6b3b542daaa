"""What every HTTP answer of the app carries, pages and API alike: headers that keep it out of
other sites' frames, stop content sniffing and keep its addresses out of other sites' logs;
Streamlit's own metrics endpoint (cache names and sizes) closed, as it needs no login; and
file uploads only from sessions an admin is logged in to, one file at a time.

A plain ASGI middleware for ``st.App(middleware=...)``: it sees every response Streamlit's
server sends over HTTP (the WebSocket is not HTTP and passes untouched).
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sla.service import upload_gate

# Streamlit's own components (the login cookie's) are frames of the app itself, hence
# SAMEORIGIN / 'self' rather than DENY / 'none'.
SECURITY_HEADERS = {
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
CLOSED_PATHS = ("/_stcore/metrics",)
UPLOAD_PREFIX = "/_stcore/upload_file/"  # then {session_id}/{file_id}


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every HTTP response (keeping a header an answer set
    itself) and answers ``CLOSED_PATHS`` with 404."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path", "").rstrip("/") in CLOSED_PATHS:
            await _not_found(send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name.lower().encode(), value.encode())
                         for name, value in SECURITY_HEADERS.items()
                         if name.lower().encode() not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class UploadGate:
    """Refuses a file (403) from a browser session no admin is logged in to, and a second
    file (409) while the session's first is still arriving (``sla.service.upload_gate``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope.get("method") != "PUT" or \
                not path.startswith(UPLOAD_PREFIX):
            await self.app(scope, receive, send)
            return
        session_id = path[len(UPLOAD_PREFIX):].split("/")[0]
        if not upload_gate.allowed(session_id):
            await _refuse(send, 403, b"Log in as an admin to upload files.")
            return
        if not upload_gate.begin(session_id):
            await _refuse(send, 409, b"One file at a time: wait for the first to arrive.")
            return
        try:
            await self.app(scope, receive, send)
        finally:
            upload_gate.end(session_id)


async def _not_found(send: Send) -> None:
    await _refuse(send, 404, b"Not found")


async def _refuse(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            *[(k.lower().encode(), v.encode())
                              for k, v in SECURITY_HEADERS.items()]]})
    await send({"type": "http.response.body", "body": body})


def middleware() -> list[Middleware]:
    """The middleware ``app.py`` hands to ``st.App``."""
    return [Middleware(SecurityHeaders), Middleware(UploadGate)]
