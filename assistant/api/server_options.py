"""The uvicorn options that follow from the settings, one place for `serve` and the tests' live server."""

from __future__ import annotations

from typing import Any

from assistant.settings import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Proxy headers are believed only from the configured proxies (uvicorn's own default believes
    127.0.0.1, so any local client could rotate X-Forwarded-For past the feedback rate limit)."""
    proxies = list(settings.forwarded_allow_ips)
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": ",".join(proxies) if proxies else None}
