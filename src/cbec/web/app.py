"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from cbec import __version__
from cbec.bootstrap import Platform
from cbec.kernel.errors import FieldError, ValidationFailed
from cbec.web import errors
from cbec.web.api import router as api_router
from cbec.web.pages import router as pages_router
from cbec.web.templating import render

STATIC = Path(__file__).parent / "static"
UPLOAD_PATHS = ("/enterprises/import", "/api/v1/enterprises/import", "/exchange/upload")
# Benefit applications carry attachments (form files, or base64 in JSON) on create and resubmit.
UPLOAD_PREFIXES = ("/policy/applications", "/api/v1/policy/applications")
MESSAGE_PATHS = ("/api/v1/messages", "/api/v1/messages/validate")

# Pages load only our own scripts and styles; nothing may frame them.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def create_app(platform: Platform) -> FastAPI:
    # The interactive docs UI would load scripts from a CDN; the schema itself is served.
    app = FastAPI(title="cbec API", version=__version__, docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.platform = platform
    errors.install(app)
    limit = platform.settings.max_upload_bytes
    batch_limit = platform.settings.max_batch_bytes

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # Refuse an oversized upload from its declared length, before reading a byte of it.
        if request.method == "POST" and request.url.path in MESSAGE_PATHS:
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > batch_limit:
                return _upload_refused(
                    request,
                    413,
                    "message.too_large",
                    f"the request is larger than the limit of {batch_limit} bytes",
                    "send fewer messages per batch",
                )
        path = request.url.path
        if request.method == "POST" and (path in UPLOAD_PATHS or path.startswith(UPLOAD_PREFIXES)):
            declared = request.headers.get("content-length")
            if declared is None or not declared.isdigit():
                return _upload_refused(
                    request,
                    411,
                    "file.length_required",
                    "the upload did not declare its size (Content-Length)",
                    "send the file as an ordinary form upload, not chunked",
                )
            if int(declared) > limit + 64 * 1024:  # the allowance covers the multipart framing
                return _upload_refused(
                    request,
                    413,
                    "file.too_large",
                    f"the upload is larger than the limit of {limit} bytes",
                    "split the file into smaller workbooks",
                )
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api_router)
    app.include_router(pages_router)
    return app


def _upload_refused(request: Request, status: int, code: str, message: str, hint: str) -> Response:
    error = ValidationFailed([FieldError("file", code, message, hint)])
    if request.url.path.startswith("/api/"):
        return JSONResponse(error.as_dict(), status_code=status)
    return render(request, "error.html", {"status": status, "error": error}, status_code=status)
