"""The JSON API under /api/v1 (token or session authentication)."""

from fastapi import APIRouter

from cbec.web.api import (
    enterprises,
    exchange,
    export,
    identity,
    policy,
    policy_matching,
    reference,
    reports,
    stats,
    targets,
    tax,
    tiers,
    warehouses,
)

router = APIRouter(prefix="/api/v1")
router.include_router(identity.router)
router.include_router(enterprises.router)
router.include_router(reference.router)
router.include_router(exchange.router)
router.include_router(export.router)
router.include_router(tax.router)
router.include_router(warehouses.router)
router.include_router(stats.router)
router.include_router(targets.router)
router.include_router(reports.router)
router.include_router(tiers.router)
router.include_router(policy.router)
router.include_router(policy_matching.router)
