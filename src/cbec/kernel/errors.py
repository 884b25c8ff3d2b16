"""One error tree for the whole platform.

    CbecError                  base; carries a stable ``code``
    ├── ValidationFailed       bad input; holds one or more FieldError (exit 1, HTTP 422)
    ├── NotFound               the subject does not exist or is outside the caller's scope (404)
    ├── PermissionDenied       the caller may not do this (exit 1, HTTP 403)
    ├── Conflict               the request clashes with stored state, e.g. a duplicate (409)
    ├── AuthenticationFailed   wrong credentials or token (401)
    └── RateLimited            too many attempts; retry later (429)

Entry points map these to HTTP status codes and CLI exit codes in one place each
(``cbec.web.errors`` and ``cbec.cli.common``); domain code only raises them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One broken rule: where (``path``), which rule (``code``), what is wrong and what to do."""

    path: str
    code: str
    message: str
    hint: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message, "hint": self.hint}


class CbecError(Exception):
    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message}


class ValidationFailed(CbecError):
    code = "validation_failed"

    def __init__(self, errors: list[FieldError], message: str | None = None) -> None:
        if not errors:
            raise ValueError("ValidationFailed needs at least one FieldError")
        summary = message or "; ".join(f"{e.path}: {e.message}" for e in errors)
        super().__init__(summary)
        self.errors = list(errors)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "errors": [e.as_dict() for e in self.errors],
        }


class NotFound(CbecError):
    code = "not_found"


class PermissionDenied(CbecError):
    code = "permission_denied"


class Conflict(CbecError):
    code = "conflict"


class AuthenticationFailed(CbecError):
    code = "authentication_failed"


class RateLimited(CbecError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
