"""Request-scoped dependencies: the platform, who is asking, their locale, CSRF checks."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from cbec.bootstrap import Platform
from cbec.identity.model import Principal, User
from cbec.identity.secrets import constant_time_equal
from cbec.identity.services import session_principal, token_principal
from cbec.kernel.errors import AuthenticationFailed, PermissionDenied
from cbec.web.i18n import pick_locale

SESSION_COOKIE = "cbec_session"
LOGIN_CSRF_COOKIE = "cbec_login_csrf"
LANG_COOKIE = "cbec_lang"
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Identity:
    user: User
    via: str  # "session" or "token"
    csrf: str = ""
    session_token: str = ""

    @property
    def principal(self) -> Principal:
        return self.user.principal()


class SignInRequired(Exception):
    """A page needs a signed-in user; handled as a redirect to the sign-in page."""


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def locale(request: Request) -> str:
    default = get_platform(request).settings.default_locale
    return pick_locale(request.cookies.get(LANG_COOKIE), default)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def resolve_identity(request: Request) -> Identity | None:
    platform = get_platform(request)
    token = _bearer(request)
    if token is not None:
        with platform.uow() as uow:
            user = token_principal(uow, token)
        if user is None:
            raise AuthenticationFailed("the API token is unknown or revoked")
        return Identity(user, "token")
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    with platform.uow(read_only=True) as uow:
        found = session_principal(uow, cookie)
    return Identity(found[0], "session", found[1], cookie) if found else None


def _check_csrf(request: Request, identity: Identity, form_token: str | None) -> None:
    """Session-authenticated writes must prove they come from our own pages."""
    if identity.via != "session" or request.method not in UNSAFE:
        return
    sent = form_token or request.headers.get(CSRF_HEADER, "")
    if not sent or not constant_time_equal(sent, identity.csrf):
        raise PermissionDenied(
            "the form has expired or did not come from this site; reload the page and retry", code="csrf.invalid"
        )


def api_identity(request: Request) -> Identity:
    identity = resolve_identity(request)
    if identity is None:
        raise AuthenticationFailed("sign in or send 'Authorization: Bearer <token>'")
    _check_csrf(request, identity, None)
    return identity


def page_identity(request: Request) -> Identity:
    identity = resolve_identity(request)
    if identity is None:
        raise SignInRequired()
    request.state.identity = identity  # for the page chrome (navigation, CSRF field)
    return identity


def require_csrf(request: Request, identity: Identity, form_token: str) -> None:
    _check_csrf(request, identity, form_token)


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


ApiIdentity = Annotated[Identity, Depends(api_identity)]
PageIdentity = Annotated[Identity, Depends(page_identity)]
Locale = Annotated[str, Depends(locale)]
