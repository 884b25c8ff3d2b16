"""Password hashing (argon2id) and random tokens stored only as digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["DUMMY_HASH", "hash_password", "new_token", "token_digest", "verify_password"]

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified against when the username is unknown, so timing does not reveal which usernames exist.
DUMMY_HASH = _hasher.hash("not-a-real-password-only-for-timing")


def new_token(prefix: str) -> str:
    """A bearer secret: ``prefix_`` + 43 url-safe characters (256 bits)."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def token_digest(token: str) -> str:
    """Tokens are high-entropy, so a plain SHA-256 digest is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
