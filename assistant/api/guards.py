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


def host_name(header: str) -> str:
    """The name of a Host header without its port (``[::1]:8000`` -> ``::1``)."""
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class TrustedHostMiddleware:
    """Answers only requests whose Host is one of ``allowed`` (``*.example.org`` for its subdomains),
    so a page on another name cannot reach the server through DNS rebinding; others get a 400 with a
    Chinese JSON message naming the host."""

    def __init__(self, app: ASGIApp, allowed: list[str]):
        self.app = app
        self.allowed = [host_name(a.strip().lower()) for a in allowed]

    def trusted(self, host: str) -> bool:
        return any(host == a or (a.startswith("*.") and host.endswith(a[1:])) for a in self.allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), "")
        host = host_name(header.strip().lower())
        if self.trusted(host):
            await self.app(scope, receive, send)
            return
        shown = host[:100] or "（空）"
        response = JSONResponse({"error": f"Host 请求头“{shown}”不是本服务器受信任的主机名；"
                                          "请通过 TRUSTED_HOSTS 中列出的地址访问"}, status_code=400)
        await response(scope, receive, send)


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
