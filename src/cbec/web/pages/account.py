"""Sign in and out, language switch, personal API tokens."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from cbec.identity import services
from cbec.identity.secrets import constant_time_equal
from cbec.kernel.errors import AuthenticationFailed, PermissionDenied, RateLimited
from cbec.web.deps import (
    LANG_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    PageIdentity,
    PlatformDep,
    new_login_csrf,
    require_csrf,
)
from cbec.web.i18n import LOCALES
from cbec.web.templating import render

router = APIRouter()
NEW_TOKEN_COOKIE = "cbec_new_token"  # noqa: S105 - a cookie name, not a secret


def _secure(request: Request) -> bool:
    configured: bool | None = request.app.state.platform.settings.cookie_secure
    return configured if configured is not None else request.url.scheme == "https"


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a signed-in user to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return "/"
    return target


def _login_page(request: Request, *, error: str = "", next_: str = "/", status: int = 200) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_csrf()
    response = render(
        request, "login.html", {"error": error, "next": _safe_next(next_), "login_csrf": token}, status_code=status
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return _login_page(request, next_=next)


@router.post("/login")
def login(
    request: Request,
    platform: PlatformDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not constant_time_equal(cookie, csrf_token):
        raise PermissionDenied("the sign-in form expired; reload the page and sign in again", code="csrf.invalid")
    client = request.client.host if request.client else "unknown"
    try:
        with platform.uow() as uow:
            user = services.authenticate(uow, username.strip(), password, client, platform.login_policy)
            token, _csrf = services.open_session(uow, user, platform.settings.session_hours)
    except AuthenticationFailed:
        return _login_page(request, error="login.failed", next_=next, status=401)
    except RateLimited as limited:
        return _login_page(request, error=f"login.locked:{limited.retry_after_seconds // 60}", next_=next, status=429)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=platform.settings.session_hours * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(
    request: Request, identity: PageIdentity, platform: PlatformDep, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    require_csrf(request, identity, csrf_token)
    with platform.uow() as uow:
        services.close_session(uow, identity.session_token, identity.principal)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{code}")
def switch_language(code: str, request: Request, next: str = "/") -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if code in LOCALES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/tokens")
def tokens(request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    with platform.uow(read_only=True) as uow:
        rows = uow.credentials.tokens_of(identity.user.id)
    # A token just created is handed over once, through a short-lived cookie (see create_token).
    new_token = request.cookies.get(NEW_TOKEN_COOKIE)
    response = render(request, "tokens.html", {"tokens": rows, "new_token": new_token})
    response.headers["Cache-Control"] = "no-store"
    if new_token:
        response.delete_cookie(NEW_TOKEN_COOKIE, path="/tokens")
    return response


@router.post("/tokens")
def create_token(
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    name: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, identity, csrf_token)
    with platform.uow() as uow:
        token = services.issue_token(uow, identity.principal, name)
    # Post/redirect/get: reloading the page must not create a second token.
    response = RedirectResponse("/tokens", status_code=303)
    response.set_cookie(
        NEW_TOKEN_COOKIE, token, max_age=120, path="/tokens", httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


@router.post("/tokens/{token_id}/revoke")
def revoke(
    token_id: int,
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, identity, csrf_token)
    with platform.uow() as uow:
        services.revoke_token(uow, identity.principal, token_id)
    return RedirectResponse("/tokens", status_code=303)
