"""Identity use cases: users, sign-in with rate limiting, web sessions and API tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from cbec.audit.services import record
from cbec.identity.model import SYSTEM, Principal, Role, User, binding_problems
from cbec.identity.secrets import (
    DUMMY_HASH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)
from cbec.kernel.errors import (
    AuthenticationFailed,
    Conflict,
    FieldError,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from cbec.registry.districts import DistrictBook

if TYPE_CHECKING:  # the concrete unit of work is wired in bootstrap; domain code never imports it
    from cbec.storage.uow import SqlUnitOfWork

__all__ = [
    "LoginPolicy",
    "NewUser",
    "authenticate",
    "close_session",
    "create_user",
    "issue_token",
    "open_session",
    "revoke_token",
    "session_principal",
    "token_principal",
]

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


@dataclass(frozen=True)
class NewUser:
    username: str
    display_name: str
    role: str
    password: str
    enterprise_id: int | None = None
    city_code: str | None = None
    district_code: str | None = None


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    # A client address may try more usernames than one username may be tried.
    client_factor: int = 4


def _user_problems(uow: SqlUnitOfWork, new: NewUser, districts: DistrictBook) -> list[FieldError]:
    errors: list[FieldError] = []
    if not (3 <= len(new.username) <= 64) or not set(new.username) <= USERNAME_CHARS:
        errors.append(
            FieldError(
                "username", "username.invalid", "username must be 3-64 characters of a-z, 0-9, '.', '_' or '-'", ""
            )
        )
    if len(new.password) < MIN_PASSWORD_LENGTH:
        errors.append(
            FieldError(
                "password", "password.too_short", f"password must be at least {MIN_PASSWORD_LENGTH} characters", ""
            )
        )
    try:
        role = Role(new.role)
    except ValueError:
        return [
            *errors,
            FieldError(
                "role", "role.unknown", f"unknown role {new.role!r}", "use one of: " + ", ".join(r.value for r in Role)
            ),
        ]
    errors += [
        FieldError("role", "role.binding", p, "")
        for p in binding_problems(role, new.enterprise_id, new.city_code, new.district_code)
    ]
    if new.enterprise_id is not None and uow.enterprises.get(new.enterprise_id) is None:
        errors.append(
            FieldError("enterprise_id", "enterprise.unknown", f"no enterprise with id {new.enterprise_id}", "")
        )
    if new.city_code and new.district_code:
        errors += districts.problems(new.city_code, new.district_code)
    elif new.city_code and districts.city(new.city_code) is None:
        errors.append(FieldError("city_code", "city.unknown", f"unknown city code {new.city_code!r}", ""))
    return errors


def create_user(uow: SqlUnitOfWork, new: NewUser, districts: DistrictBook, actor: Principal = SYSTEM) -> User:
    if not actor.is_system and actor.role is not Role.CITY_ADMIN:
        raise PermissionDenied("only a city administrator may create users")
    errors = _user_problems(uow, new, districts)
    if errors:
        raise ValidationFailed(errors)
    if uow.users.by_username(new.username):
        raise Conflict(f"username {new.username!r} is taken", code="username.taken")
    user = uow.users.add(
        User(
            0,
            new.username,
            new.display_name,
            Role(new.role),
            hash_password(new.password),
            new.enterprise_id,
            new.city_code,
            new.district_code,
        ),
        uow.clock.now(),
    )
    after = {
        "username": user.username,
        "role": user.role.value,
        "enterprise_id": user.enterprise_id,
        "city_code": user.city_code,
        "district_code": user.district_code,
    }
    record(uow, actor, "user.create", "user", user.id, after=after, city_code=_city(uow, user.principal()))
    uow.commit()
    return user


def _city(uow: SqlUnitOfWork, principal: Principal) -> str | None:
    """The city whose auditors see this user's events; an enterprise user's is its enterprise's."""
    if principal.city_code or principal.enterprise_id is None:
        return principal.city_code
    enterprise = uow.enterprises.get(principal.enterprise_id)
    return enterprise.city_code if enterprise else None


def authenticate(uow: SqlUnitOfWork, username: str, password: str, client: str, policy: LoginPolicy) -> User:
    """Check a password; count failures per username and per client and lock out past the limit."""
    now = uow.clock.now()
    by_user, by_client = uow.credentials.failures_since(username, client, now - policy.window)
    if by_user >= policy.max_failures or by_client >= policy.max_failures * policy.client_factor:
        raise RateLimited(
            "too many failed sign-ins; try again later", retry_after_seconds=int(policy.window.total_seconds())
        )
    user = uow.users.by_username(username)
    ok = verify_password(user.password_hash if user else DUMMY_HASH, password)
    if user is None or not ok or not user.is_active:
        uow.credentials.record_failure(username[:64], client[:64], now)
        city = _city(uow, user.principal()) if user else None
        record(uow, SYSTEM, "auth.sign_in_failed", "user", username[:64], after={"client": client[:64]}, city_code=city)
        uow.commit()  # the failure must count even though we refuse the sign-in
        raise AuthenticationFailed("wrong username or password")
    uow.credentials.clear_failures(username)
    return user


def open_session(uow: SqlUnitOfWork, user: User, hours: int) -> tuple[str, str]:
    """Start a web session; returns (cookie secret, CSRF token). Only the digest is stored."""
    token, csrf = new_token("s"), secrets.token_urlsafe(32)
    now = uow.clock.now()
    uow.credentials.add_session(token_digest(token), user.id, csrf, now, now + timedelta(hours=hours))
    record(uow, user.principal(), "auth.sign_in", "user", user.id, city_code=_city(uow, user.principal()))
    uow.commit()
    return token, csrf


def session_principal(uow: SqlUnitOfWork, token: str) -> tuple[User, str] | None:
    found = uow.credentials.session(token_digest(token), uow.clock.now())
    if found is None:
        return None
    user = uow.users.get(found[0])
    if user is None or not user.is_active:
        return None
    return user, found[1]


def close_session(uow: SqlUnitOfWork, token: str, principal: Principal) -> None:
    uow.credentials.drop_session(token_digest(token))
    record(uow, principal, "auth.sign_out", "user", principal.user_id, city_code=_city(uow, principal))
    uow.commit()


def issue_token(uow: SqlUnitOfWork, principal: Principal, name: str) -> str:
    """A personal API token; shown once, stored as a digest."""
    if principal.user_id is None:
        raise PermissionDenied("the system principal has no API tokens")
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise ValidationFailed(
            [
                FieldError(
                    "name",
                    "token.name",
                    "token name must be 1-100 characters",
                    "name the script or system that will use it",
                )
            ]
        )
    token = new_token("cbec")
    token_id = uow.credentials.add_token(principal.user_id, name, token_digest(token), token[:9], uow.clock.now())
    record(uow, principal, "token.issue", "api_token", token_id, after={"name": name}, city_code=_city(uow, principal))
    uow.commit()
    return token


def token_principal(uow: SqlUnitOfWork, token: str) -> User | None:
    user_id = uow.credentials.token_user(token_digest(token), uow.clock.now())
    user = uow.users.get(user_id) if user_id is not None else None
    if user is None or not user.is_active:
        return None
    uow.commit()  # last_used_at
    return user


def revoke_token(uow: SqlUnitOfWork, principal: Principal, token_id: int) -> None:
    if principal.user_id is None or not uow.credentials.revoke_token(principal.user_id, token_id, uow.clock.now()):
        raise PermissionDenied(f"token {token_id} is not one of your active tokens")
    record(uow, principal, "token.revoke", "api_token", token_id, city_code=_city(uow, principal))
    uow.commit()
