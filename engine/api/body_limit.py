"""One request-body limit for every HTTP route: an ASGI middleware in front of the whole application.

A body larger than the limit — declared by ``Content-Length`` or counted while it arrives (chunked, or a
``Content-Length`` that lies) — is answered 413 ``PAYLOAD_TOO_LARGE`` in the API's one error shape before any
route sees it. A body within the limit is buffered (at most ``max_bytes``) and replayed to the route, so no route
can read more than the limit, including routes added later. WebSocket and lifespan traffic pass through.

The limit is ``max_bytes`` for every request but a file upload: a ``multipart/form-data`` POST to one of
``upload_paths`` (``/graphql``, for ``importProjects``) may carry up to ``upload_bytes``, and nothing else may.
"""
from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def too_large_body(max_bytes: int) -> dict[str, Any]:
    """The 413 body: ``{"errors": [{"message", "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}``."""
    return {"errors": [{"message": f"request body over {max_bytes} bytes",
                        "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}


class BodyLimit:
    """Refuses HTTP request bodies over the limit with 413; passes everything else to ``app`` unchanged."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int | None = None,
                 upload_paths: tuple[str, ...] = ()) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.upload_bytes, self.upload_paths = upload_bytes or max_bytes, upload_paths

    def limit(self, scope: Scope) -> int:
        """``upload_bytes`` for a multipart POST to an upload path, else ``max_bytes``."""
        if scope.get("path") in self.upload_paths and scope.get("method") == "POST" and is_multipart(scope):
            return self.upload_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope)
        if _declared_length(scope) > limit:
            await _refuse(send, limit)
            return
        body, last = await _read(receive, limit)
        if body is None:
            await _refuse(send, limit)
            return
        await self.app(scope, _replay(body, last, receive), send)


def is_multipart(scope: Scope) -> bool:
    """Whether the request declares a ``multipart/form-data`` body."""
    for name, value in scope.get("headers") or ():
        if name == b"content-type":
            return value.split(b";")[0].strip().lower() == b"multipart/form-data"
    return False


def _declared_length(scope: Scope) -> int:
    """The declared Content-Length; 0 when absent or not a number (the body is then counted as it arrives)."""
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            if not text.isdigit():
                return 0
            return int(text) if len(text) <= 18 else 10**18
    return 0


async def _read(receive: Receive, max_bytes: int) -> tuple[bytes | None, Message | None]:
    """The whole body, or None as soon as it exceeds ``max_bytes``; and a non-body message that ended it."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message  # e.g. http.disconnect: the route sees it after the body
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            return None, None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), None


def _replay(body: bytes, last: Message | None, receive: Receive) -> Receive:
    """A ``receive`` giving the buffered body once, then whatever the client sends next (e.g. a disconnect)."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    if last is not None:
        pending.append(last)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


async def _refuse(send: Send, max_bytes: int) -> None:
    content = json.dumps(too_large_body(max_bytes), separators=(",", ":")).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": content})
