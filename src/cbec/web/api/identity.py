from __future__ import annotations

from fastapi import APIRouter

from cbec.web.deps import ApiIdentity
from cbec.web.schemas import UserPublic

router = APIRouter(tags=["identity"])


@router.get("/me", operation_id="me")
def me(identity: ApiIdentity) -> UserPublic:
    u = identity.user
    return UserPublic(
        id=u.id,
        username=u.username,
        display_name=u.display_name,
        role=u.role.value,
        enterprise_id=u.enterprise_id,
        city_code=u.city_code,
        district_code=u.district_code,
    )
