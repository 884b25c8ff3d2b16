"""A 100 MB upload against the real server: refused from its declared size, nothing stored.

Sent over a raw socket so the test controls exactly what goes on the wire: the headers declare
100 MB, the first 64 KiB follow, and the server must answer 413 without waiting for the rest.
"""

from __future__ import annotations

import json
import socket
from urllib.parse import urlparse

import pytest

HUNDRED_MB = 100 * 1024 * 1024
BOUNDARY = "cbec-upload-test"


def _declared_upload(base_url: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    url = urlparse(base_url)
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: {url.netloc}",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        f"Content-Length: {HUNDRED_MB}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    preamble = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.xlsx"\r\n\r\n'
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n" + preamble).encode() + b"PK\x03\x04" + bytes(64 * 1024))
        reply = b""
        while b"\r\n\r\n" not in reply or len(reply) < 4096:
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    status = int(reply.split(b" ", 2)[1])
    return status, reply.split(b"\r\n\r\n", 1)[1]


@pytest.mark.parametrize("path", ["/api/v1/enterprises/import", "/enterprises/import"])
def test_a_100_mb_upload_is_refused_and_stores_nothing(server, admin_api, path: str) -> None:  # type: ignore[no-untyped-def]
    token = admin_api.headers["Authorization"]
    before = server.count("SELECT count(*) FROM enterprises"), server.count("SELECT count(*) FROM audit_events")
    status, body = _declared_upload(server.base_url, path, {"Authorization": token})
    assert status == 413
    if path.startswith("/api/"):
        assert [e["code"] for e in json.loads(body)["errors"]] == ["file.too_large"]
    else:
        assert "file.too_large" in body.decode()
    after = server.count("SELECT count(*) FROM enterprises"), server.count("SELECT count(*) FROM audit_events")
    assert after == before
