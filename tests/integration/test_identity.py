"""Identity on real databases: users and role binding, sign-in with lock-out, sessions, API tokens."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from cbec.bootstrap import Platform
from cbec.identity.model import SYSTEM, Role, User
from cbec.identity.services import (
    LoginPolicy,
    NewUser,
    authenticate,
    close_session,
    create_user,
    issue_token,
    open_session,
    revoke_token,
    session_principal,
    token_principal,
)
from cbec.kernel.clock import FixedClock
from cbec.kernel.errors import AuthenticationFailed, Conflict, PermissionDenied, RateLimited, ValidationFailed
from cbec.kernel.ids import uscc_with_check
from cbec.registry.model import EnterpriseInput, EnterpriseRole
from cbec.registry.services import create_enterprise
from cbec.storage import tables as t

CountRows = Callable[[str], int]
PASSWORD = "correct horse battery"
POLICY = LoginPolicy(max_failures=5, window=timedelta(minutes=15))
CLIENT = "203.0.113.7"


def make_user(platform: Platform, username: str = "zhang.san", role: str = "city_admin", **scope: object) -> User:
    if not scope and role != "enterprise":
        scope = {"city_code": "330100"}
    with platform.uow() as uow:
        return create_user(
            uow,
            NewUser(username, "张三", role, PASSWORD, **scope),  # type: ignore[arg-type]
            platform.districts,
        )


def refused(platform: Platform, new: NewUser) -> list[tuple[str, str]]:
    with platform.uow() as uow, pytest.raises(ValidationFailed) as caught:
        create_user(uow, new, platform.districts)
    return [(e.path, e.code) for e in caught.value.errors]


def sign_in(platform: Platform, password: str = PASSWORD, username: str = "zhang.san") -> User:
    with platform.uow() as uow:
        user = authenticate(uow, username, password, CLIENT, POLICY)
        uow.commit()
        return user


def test_create_user_stores_an_argon2_hash_and_audits(platform: Platform, count_rows: CountRows) -> None:
    user = make_user(platform)
    assert (user.username, user.role, user.city_code, user.district_code, user.enterprise_id) == (
        "zhang.san",
        Role.CITY_ADMIN,
        "330100",
        None,
        None,
    )
    with platform.engine.connect() as conn:
        stored = conn.execute(select(t.users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert (count_rows("users"), count_rows("audit_events")) == (1, 1)
    with platform.uow(read_only=True) as uow:
        [event] = list(uow.audit.events())
    assert (event.action, event.subject_type, event.subject_id, event.actor) == (
        "user.create",
        "user",
        str(user.id),
        "system",
    )
    assert PASSWORD not in (event.after or "")


def test_unknown_role_is_refused(platform: Platform, count_rows: CountRows) -> None:
    assert refused(platform, NewUser("li.si", "李四", "nonsense", PASSWORD, city_code="330100")) == [
        ("role", "role.unknown")
    ]
    assert (count_rows("users"), count_rows("audit_events")) == (0, 0)


def test_role_binding_is_checked(platform: Platform, count_rows: CountRows) -> None:
    assert refused(platform, NewUser("li.si", "李四", "enterprise", PASSWORD)) == [("role", "role.binding")]
    assert refused(platform, NewUser("li.si", "李四", "district_officer", PASSWORD, city_code="330100")) == [
        ("role", "role.binding")
    ]
    assert refused(
        platform, NewUser("li.si", "李四", "city_admin", PASSWORD, city_code="330100", district_code="330108")
    ) == [("role", "role.binding")]
    assert refused(platform, NewUser("li.si", "李四", "enterprise", PASSWORD, enterprise_id=42)) == [
        ("enterprise_id", "enterprise.unknown")
    ]
    assert refused(
        platform, NewUser("li.si", "李四", "district_officer", PASSWORD, city_code="330100", district_code="440104")
    ) == [("district_code", "district.unknown")]
    assert refused(platform, NewUser("x", "短", "auditor", "short", city_code="999999")) == [
        ("username", "username.invalid"),
        ("password", "password.too_short"),
        ("city_code", "city.unknown"),
    ]
    assert (count_rows("users"), count_rows("audit_events")) == (0, 0)


def test_enterprise_user_bound_to_a_stored_enterprise(platform: Platform) -> None:
    with platform.uow() as uow:
        enterprise = create_enterprise(
            uow,
            SYSTEM,
            EnterpriseInput(
                uscc=uscc_with_check("91330100MA0000001"),
                name="绑定测试有限公司",
                city_code="330100",
                district_code="330108",
                roles=frozenset({EnterpriseRole.EBC}),
                registered_on=date(2020, 1, 2),
            ),
            platform.districts,
        )
    user = make_user(platform, "ent.user", "enterprise", enterprise_id=enterprise.id)
    assert (user.role, user.enterprise_id) == (Role.ENTERPRISE, enterprise.id)
    assert user.principal().enterprise_id == enterprise.id


def test_username_taken_is_a_conflict(platform: Platform, count_rows: CountRows) -> None:
    make_user(platform)
    with pytest.raises(Conflict) as caught:
        make_user(platform)
    assert caught.value.code == "username.taken"
    assert (count_rows("users"), count_rows("audit_events")) == (1, 1)


def test_only_a_city_admin_may_create_users(platform: Platform, count_rows: CountRows) -> None:
    auditor = make_user(platform, "shen.ji", "auditor").principal()
    with platform.uow() as uow, pytest.raises(PermissionDenied):
        create_user(
            uow, NewUser("li.si", "李四", "auditor", PASSWORD, city_code="330100"), platform.districts, actor=auditor
        )
    assert count_rows("users") == 1


def test_authenticate_accepts_the_right_password_only(platform: Platform, count_rows: CountRows) -> None:
    user = make_user(platform)
    assert sign_in(platform) == user
    with pytest.raises(AuthenticationFailed):
        sign_in(platform, "wrong password!")
    with pytest.raises(AuthenticationFailed):
        sign_in(platform, PASSWORD, username="nobody")
    assert count_rows("login_failures") == 2
    with platform.uow(read_only=True) as uow:
        actions = [(e.action, e.subject_id) for e in uow.audit.events()]
    assert actions == [
        ("user.create", str(user.id)),
        ("auth.sign_in_failed", "zhang.san"),
        ("auth.sign_in_failed", "nobody"),
    ]


def test_lock_out_after_five_failures_until_the_window_passes(
    platform: Platform, fixed_clock: FixedClock, count_rows: CountRows
) -> None:
    make_user(platform)
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            sign_in(platform, "wrong password!")
    with pytest.raises(RateLimited) as caught:
        sign_in(platform)
    assert caught.value.retry_after_seconds == 900
    assert count_rows("login_failures") == 5  # a refused attempt while locked is not counted again

    fixed_clock.advance(timedelta(minutes=14, seconds=59))
    with pytest.raises(RateLimited):
        sign_in(platform)
    fixed_clock.advance(timedelta(seconds=2))
    assert sign_in(platform).username == "zhang.san"
    assert count_rows("login_failures") == 0  # a successful sign-in clears the user's failures


def test_sessions_open_resolve_close(platform: Platform, count_rows: CountRows) -> None:
    user = make_user(platform)
    with platform.uow() as uow:
        token, csrf = open_session(uow, user, hours=12)
    assert token.startswith("s_")
    with platform.engine.connect() as conn:
        row = conn.execute(select(t.web_sessions)).one()
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in tuple(str(v) for v in row)
    with platform.uow(read_only=True) as uow:
        assert session_principal(uow, token) == (user, csrf)
        assert session_principal(uow, token + "x") is None
    with platform.uow() as uow:
        close_session(uow, token, user.principal())
    with platform.uow(read_only=True) as uow:
        assert session_principal(uow, token) is None
        assert [e.action for e in uow.audit.events()] == ["user.create", "auth.sign_in", "auth.sign_out"]
    assert count_rows("web_sessions") == 0


def test_an_expired_session_resolves_to_none(platform: Platform, fixed_clock: FixedClock) -> None:
    user = make_user(platform)
    with platform.uow() as uow:
        token, _ = open_session(uow, user, hours=12)
    fixed_clock.advance(timedelta(hours=11, minutes=59))
    with platform.uow(read_only=True) as uow:
        assert session_principal(uow, token) is not None
    fixed_clock.advance(timedelta(minutes=1))
    with platform.uow(read_only=True) as uow:
        assert session_principal(uow, token) is None


def test_api_tokens_are_stored_as_digests_and_can_be_revoked(
    platform: Platform, fixed_clock: FixedClock, count_rows: CountRows
) -> None:
    user = make_user(platform, "partner.api", "partner")
    with platform.uow() as uow:
        token = issue_token(uow, user.principal(), "  customs bridge ")
    assert token.startswith("cbec_")
    assert len(token) == len("cbec_") + 43
    with platform.engine.connect() as conn:
        row = conn.execute(select(t.api_tokens)).one()
    assert row.token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert all(token not in str(value) for value in row)
    assert (row.name, row.hint, row.last_used_at, row.revoked_at) == ("customs bridge", token[:9], None, None)

    fixed_clock.advance(timedelta(minutes=5))
    with platform.uow() as uow:
        assert token_principal(uow, token) == user
    with platform.uow(read_only=True) as uow:
        [listed] = uow.credentials.tokens_of(user.id)
        assert token_principal(uow, "cbec_" + "A" * 43) is None
    assert listed["last_used_at"] is not None

    with platform.uow() as uow:
        revoke_token(uow, user.principal(), listed["id"])
    with platform.uow() as uow:
        assert token_principal(uow, token) is None
    with platform.uow() as uow, pytest.raises(PermissionDenied):
        revoke_token(uow, user.principal(), listed["id"])
    assert count_rows("api_tokens") == 1
    with platform.uow(read_only=True) as uow:
        assert [e.action for e in uow.audit.events()] == ["user.create", "token.issue", "token.revoke"]


def test_a_token_name_must_not_be_blank(platform: Platform, count_rows: CountRows) -> None:
    user = make_user(platform)
    with platform.uow() as uow, pytest.raises(ValidationFailed) as caught:
        issue_token(uow, user.principal(), "   ")
    assert [(e.path, e.code) for e in caught.value.errors] == [("name", "token.name")]
    assert (count_rows("api_tokens"), count_rows("audit_events")) == (0, 1)
