"""Reading back the text of a bulletin PDF (``cbec.stats.bulletin.render_pdf``) in checks."""

from __future__ import annotations

import base64
import re
import zlib

__all__ = ["pdf_text"]

_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(match: re.Match[bytes]) -> bytes:
    code = match.group(1)
    if code[:1].isdigit():
        return bytes([int(code, 8)])
    return _ESCAPES.get(code, code)


def pdf_text(pdf: bytes) -> str:
    """The text drawn by a PDF that ``render_pdf`` made, one string per line: its content
    streams are ASCII85 + Flate and every string is in the CID font (UTF-16BE). Lets checks read
    the bulletin without a PDF library; not a general PDF reader."""
    texts = []
    for body in re.findall(rb">>\s*stream\r?\n(.*?~>)", pdf, re.S):
        content = zlib.decompress(base64.a85decode(body, adobe=True))
        for raw in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", content, re.S):
            texts.append(re.sub(rb"\\([0-7]{1,3}|.)", _unescape, raw, flags=re.S).decode("utf-16-be"))
    return "\n".join(texts)
