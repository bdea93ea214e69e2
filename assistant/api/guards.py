"""Guards that act before any route: request-body limits per route (a body over its limit is
refused before it is read, or as soon as it grows past the limit), and security headers on every
response.  Both are plain ASGI middleware configured from the settings at app creation."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Room for the multipart framing and the metadata form fields around an uploaded file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
UPLOAD_ROUTES = frozenset({("POST", "/api/documents")})

# No inline script or style anywhere: pages load /static/*.js and /static/*.css only; JSON data
# blocks (<script type="application/json">) are not executed and need no allowance.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def too_large_message(limit: int) -> str:
    return f"请求内容超过 {limit} 字节的上限"


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a body without a truthful Content-Length grows past its limit."""

    def __init__(self, limit: int):
        super().__init__(status_code=413, detail=too_large_message(limit), headers={"connection": "close"})


@dataclass(frozen=True)
class BodyLimits:
    json_bytes: int  # every route but uploads: questions, feedback, profiles
    upload_bytes: int  # the largest document an operator may upload

    def for_request(self, method: str, path: str) -> int:
        if (method, path.rstrip("/") or "/") in UPLOAD_ROUTES:
            return self.upload_bytes + MULTIPART_OVERHEAD_BYTES
        return self.json_bytes


class BodyLimitMiddleware:
    """413 for a declared Content-Length over the route's limit, before the app runs; otherwise the
    body is counted while the app reads it and reading stops at the limit."""

    def __init__(self, app: ASGIApp, limits: BodyLimits):
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_request(scope["method"], scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response = JSONResponse({"error": too_large_message(limit)}, status_code=413,
                                    headers={"connection": "close"})
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)


class SecurityHeadersMiddleware:
    """Adds the security headers to every response (a header a route set itself is kept)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend((name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()
                               if name.encode() not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
