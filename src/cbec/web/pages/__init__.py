"""Server-rendered pages (Jinja2 + htmx)."""

from fastapi import APIRouter

from cbec.web.pages import (
    account,
    cockpit,
    enterprises,
    exchange,
    export,
    home,
    policy,
    policy_apps,
    policy_budget,
    reports,
    targets,
    tiers,
    warehouses,
)

router = APIRouter(include_in_schema=False)
router.include_router(account.router)
router.include_router(home.router)
router.include_router(enterprises.router)
router.include_router(exchange.router)
router.include_router(export.router)
router.include_router(warehouses.router)
router.include_router(cockpit.router)
router.include_router(targets.router)
router.include_router(reports.router)
router.include_router(tiers.router)
router.include_router(policy.router)
router.include_router(policy_apps.router)
router.include_router(policy_budget.router)
