"""Jinja2 environment with the translation function and the signed-in identity in every page."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from cbec.identity.model import Role
from cbec.registry.spreadsheet import ROLE_LABELS, STATUS_LABELS
from cbec.web.deps import locale
from cbec.web.i18n import explain, translate

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

ROLE_LABELS_EN = {
    "ebp": "Platform",
    "ebc": "E-commerce enterprise",
    "logistics": "Logistics",
    "payment": "Payment",
    "declaring_agent": "Declaring agent",
    "warehouse_operator": "Supervised site / warehouse",
    "service_provider": "Service provider",
}


def _role_label(lang: str, role: Any) -> str:
    return ROLE_LABELS[role] if lang == "zh" else ROLE_LABELS_EN[role.value]


def _status_label(lang: str, status: Any) -> str:
    return STATUS_LABELS[status] if lang == "zh" else status.value


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    lang = locale(request)
    identity = getattr(request.state, "identity", None)
    platform = request.app.state.platform
    base: dict[str, Any] = {
        "lang": lang,
        "t": partial(translate, lang),
        "explain": partial(explain, lang),
        "role_label": partial(_role_label, lang),
        "status_label": partial(_status_label, lang),
        "identity": identity,
        "user": identity.user if identity else None,
        "Role": Role,
        "districts": platform.districts,
        "csrf": identity.csrf if identity else "",
    }
    return templates.TemplateResponse(request, name, base | context, status_code=status_code)
