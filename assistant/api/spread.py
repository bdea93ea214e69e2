"""Spreading keep-alive connections over `serve --workers N`.

Every worker accepts from one shared socket, and a keep-alive connection stays with the worker
that accepted it, so four clients can all end up on one worker while the other idles (measured:
one worker's CPU time 2221 ticks, the other's 4, under wrk at concurrency 4).  A response sent
while this worker is already answering another request carries ``Connection: close``; the client's
next connection goes to whichever worker accepts it first, usually an idle one.  Only installed
when there is more than one worker.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class SpreadConnectionsMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app
        self.active = 0  # requests this worker is answering now (one event loop: no lock needed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_spread(message: Message) -> None:
            if message["type"] == "http.response.start" and self.active > 1:
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        self.active += 1
        try:
            await self.app(scope, receive, send_spread)
        finally:
            self.active -= 1
