from __future__ import annotations

from fastapi import APIRouter

from cbec.web.deps import PlatformDep

router = APIRouter(tags=["reference"])


@router.get("/reference/districts", operation_id="list_districts")
def districts(platform: PlatformDep) -> list[dict[str, object]]:
    """The five seed cities and their districts (public reference data)."""
    return [
        {
            "code": c.code,
            "name": c.name,
            "districts": [{"code": d.code, "name": d.name, "kind": d.kind} for d in c.districts],
        }
        for c in platform.districts.cities
    ]
