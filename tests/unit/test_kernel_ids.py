from __future__ import annotations

import pytest

from cbec.kernel.errors import FieldError, ValidationFailed
from cbec.kernel.ids import customs_code_problem, uscc_problem, uscc_with_check

VALID = "91110108551385082Q"


def test_known_valid_uscc_passes() -> None:
    assert uscc_problem(VALID) is None


def test_completing_a_body_gives_a_valid_code() -> None:
    assert uscc_with_check(VALID[:17]) == VALID


def test_wrong_check_character_names_the_expected_one() -> None:
    assert uscc_problem(VALID[:17] + "A") == "check character is A, expected Q"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("9111010855138508", "must be 18 characters, got 16"),
        ("91110108551385082q", "may contain only digits and the letters A-H, J-N, P, Q, R, T, U, W, X, Y"),
        ("9111010855138508IQ", "may contain only digits and the letters A-H, J-N, P, Q, R, T, U, W, X, Y"),
    ],
)
def test_malformed_uscc(value: str, problem: str) -> None:
    assert uscc_problem(value) == problem


@pytest.mark.parametrize("value", ["3301960ABC", "1234567890"])
def test_customs_code_accepts_ten_digits_or_capitals(value: str) -> None:
    assert customs_code_problem(value) is None


@pytest.mark.parametrize("value", ["330196ABC", "3301960abc", "3301960ABCD", "33019-0ABC"])
def test_customs_code_refuses_other_shapes(value: str) -> None:
    assert customs_code_problem(value) == "must be 10 digits or upper-case letters (海关注册编码)"


def test_validation_failed_needs_an_error_and_lists_them() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ValidationFailed([])
    error = ValidationFailed([FieldError("uscc", "uscc.invalid", "bad", "fix it")])
    assert error.as_dict() == {
        "code": "validation_failed",
        "message": "uscc: bad",
        "errors": [{"path": "uscc", "code": "uscc.invalid", "message": "bad", "hint": "fix it"}],
    }
