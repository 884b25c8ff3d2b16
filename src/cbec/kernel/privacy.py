"""Personal data (buyer ID numbers, telephones): stored sealed, looked up blind, shown masked.

- ``blind``: a keyed HMAC of a normalised ID number. The buyer ledger and risk rules join on it;
  without the key it reveals nothing, and it is stable, so the same buyer maps to one ledger row.
- ``seal`` / ``unseal``: AES-256-GCM of a whole document body, so the platform can still emit the
  exact message it received (to customs, or for an authorised trace) while the database holds
  only ciphertext.
- ``mask_id`` / ``mask_phone``: what pages, APIs and logs show.

Keys are derived from the platform secret with HKDF, one per purpose, so rotating one purpose's
key never touches the other's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["Protector", "mask_id", "mask_phone"]

_SEALED_PREFIX = "v1:"


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"cbec-personal-data", info=purpose).derive(secret.encode())


class Protector:
    def __init__(self, secret: str) -> None:
        self._blind_key = _derive(secret, b"blind-index")
        self._aead = AESGCM(_derive(secret, b"seal"))

    def blind(self, id_number: str) -> str:
        normalised = id_number.strip().upper()
        return hmac.new(self._blind_key, normalised.encode(), hashlib.sha256).hexdigest()

    def seal(self, plaintext: bytes) -> str:
        nonce = os.urandom(12)
        return _SEALED_PREFIX + base64.b64encode(nonce + self._aead.encrypt(nonce, plaintext, None)).decode()

    def unseal(self, sealed: str) -> bytes:
        if not sealed.startswith(_SEALED_PREFIX):
            raise ValueError("not a sealed value of this platform")
        blob = base64.b64decode(sealed[len(_SEALED_PREFIX) :])
        return self._aead.decrypt(blob[:12], blob[12:], None)


def mask_id(value: str | None) -> str:
    """110101199003070011 → 110101********0011: region and last four, as receipts show them."""
    if not value:
        return ""
    text = value.strip()
    if len(text) <= 8:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def mask_phone(value: str | None) -> str:
    """13800000000 → 138****0000."""
    if not value:
        return ""
    text = value.strip()
    if len(text) < 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]
