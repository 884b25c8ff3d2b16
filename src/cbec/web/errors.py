"""The one map from domain errors to HTTP: JSON under /api, a page everywhere else."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from cbec.kernel.errors import (
    AuthenticationFailed,
    CbecError,
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from cbec.web.deps import SignInRequired, locale
from cbec.web.templating import render

STATUS: tuple[tuple[type[CbecError], int], ...] = (
    (ValidationFailed, 422),
    (NotFound, 404),
    (PermissionDenied, 403),
    (Conflict, 409),
    (AuthenticationFailed, 401),
    (RateLimited, 429),
)


def status_of(error: CbecError) -> int:
    return next((code for kind, code in STATUS if isinstance(error, kind)), 400)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _pydantic_path(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form")]
    return "/".join(parts) or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(CbecError)
    async def domain_error(request: Request, error: CbecError) -> Response:
        status = status_of(error)
        headers = {"Retry-After": str(error.retry_after_seconds)} if isinstance(error, RateLimited) else {}
        if _is_api(request):
            return JSONResponse(error.as_dict(), status_code=status, headers=headers)
        return render(request, "error.html", {"status": status, "error": error}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, error: RequestValidationError) -> Response:
        errors = [
            {
                "path": _pydantic_path(tuple(e["loc"])),
                "code": f"schema.{e['type']}",
                "message": e["msg"],
                "hint": "see the API documentation at /api/docs",
            }
            for e in error.errors()
        ]
        body = {"code": "validation_failed", "message": f"{len(errors)} invalid field(s)", "errors": errors}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, _error: SignInRequired) -> Response:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"code": f"http.{error.status_code}", "message": str(error.detail)}, status_code=error.status_code
            )
        wrapped = CbecError(str(error.detail), code=f"http.{error.status_code}")
        return render(
            request, "error.html", {"status": error.status_code, "error": wrapped}, status_code=error.status_code
        )


__all__ = ["install", "locale", "status_of"]
