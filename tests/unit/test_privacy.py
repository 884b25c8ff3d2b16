from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from cbec.kernel.privacy import Protector, mask_id, mask_phone

SECRET = "a-test-secret-that-is-long-enough"


def test_blind_index_is_stable_keyed_and_normalised() -> None:
    p = Protector(SECRET)
    assert p.blind("11010119900307001x") == p.blind(" 11010119900307001X ")
    assert p.blind("110101199003070011") != Protector("another-secret-of-enough-length").blind("110101199003070011")
    assert len(p.blind("110101199003070011")) == 64


def test_seal_round_trips_and_hides_the_plaintext() -> None:
    p = Protector(SECRET)
    sealed = p.seal("身份证 110101199003070011".encode())
    assert sealed.startswith("v1:")
    assert "110101199003070011" not in sealed
    assert p.unseal(sealed).decode() == "身份证 110101199003070011"
    assert p.seal(b"x") != p.seal(b"x")  # a fresh nonce each time


def test_another_key_cannot_unseal() -> None:
    sealed = Protector(SECRET).seal(b"secret")
    with pytest.raises(InvalidTag):
        Protector("another-secret-of-enough-length").unseal(sealed)


@pytest.mark.parametrize(
    ("value", "masked"), [("110101199003070011", "110101********0011"), ("1234", "****"), ("", ""), (None, "")]
)
def test_mask_id(value: str | None, masked: str) -> None:
    assert mask_id(value) == masked


@pytest.mark.parametrize(("value", "masked"), [("13800000000", "138****0000"), ("12345", "*****")])
def test_mask_phone(value: str, masked: str) -> None:
    assert mask_phone(value) == masked
