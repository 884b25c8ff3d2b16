"""Identifiers with check rules: USCC (GB 32100-2015) and the customs registration code."""

from __future__ import annotations

import re

from stdnum.cn import uscc as _uscc
from stdnum.exceptions import InvalidChecksum, ValidationError

__all__ = ["customs_code_problem", "uscc_problem", "uscc_with_check"]

# GB 32100-2015 alphabet: digits and upper-case letters without I, O, Z, S, V.
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
_CUSTOMS_CODE = re.compile(r"^[0-9A-Z]{10}$")


def uscc_problem(value: str) -> str | None:
    """Return why ``value`` is not a valid USCC, or None when it is valid.

    The value must already be stripped and upper-case: we refuse rather than silently
    rewrite what the enterprise typed, so the stored code is exactly the registered one.
    """
    if len(value) != 18:
        return f"must be 18 characters, got {len(value)}"
    if not _USCC_SHAPE.match(value):
        return "may contain only digits and the letters A-H, J-N, P, Q, R, T, U, W, X, Y"
    try:
        _uscc.validate(value)
    except InvalidChecksum:
        expected = _uscc.calc_check_digit(value[:17])
        return f"check character is {value[17]}, expected {expected}"
    except ValidationError as exc:
        return str(exc)
    return None


def uscc_with_check(first17: str) -> str:
    """Complete a 17-character USCC body with its check character."""
    return first17 + _uscc.calc_check_digit(first17)


def customs_code_problem(value: str) -> str | None:
    """The customs registration code (海关注册编码) is 10 digits or upper-case letters."""
    if not _CUSTOMS_CODE.match(value):
        return "must be 10 digits or upper-case letters (海关注册编码)"
    return None
