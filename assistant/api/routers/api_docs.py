"""/docs (Swagger UI) and /redoc served offline: the viewers' assets come from the
``fastapi-offline`` package (Swagger UI, Apache-2.0; ReDoc, MIT), never from a CDN, and the pages
carry no inline script (Swagger UI starts from /static/swagger-init.js; ReDoc starts itself from
its ``<redoc spec-url>`` element), so they work under ``script-src 'self'``.  ReDoc writes its
styles into ``<style>`` elements at run time, so /redoc alone allows inline styles (never scripts)."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

from assistant.api.routers.pages import templates

ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
ASSETS = {"swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"}
ASSETS_PREFIX = "/docs-assets"

# /redoc's own policy: the app-wide one plus inline styles and blob: workers (ReDoc's search index).
REDOC_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
             "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
             "form-action 'self'; frame-ancestors 'none'")

router = APIRouter(include_in_schema=False)


def _page(request: Request, template: str) -> HTMLResponse:
    return templates.TemplateResponse(request, template, {"openapi_url": request.app.openapi_url,
                                                         "title": request.app.title, "assets": ASSETS_PREFIX})


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    return _page(request, "swagger.html")


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    page = _page(request, "redoc.html")
    page.headers["Content-Security-Policy"] = REDOC_CSP
    return page


@router.get(ASSETS_PREFIX + "/{name}")
def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise HTTPException(status_code=404, detail=f"no asset '{name}'")
    return FileResponse(ASSETS_DIR / name, headers={"Cache-Control": "public, max-age=86400"})
