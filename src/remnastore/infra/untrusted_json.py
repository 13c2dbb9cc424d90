"""JSON from outside, read safely: cheap checks of a body before any work is done with it.

A body from outside may be anything: 200 KB of ``[``, a string that never ends, bytes that are not UTF-8.
Python's JSON parser recurses once per nesting level, so a deeply nested body ends in ``RecursionError``
(in the parser or in any code walking the result) instead of a clean refusal. :func:`json_refusal` bounds
the nesting by scanning the raw bytes, then parses, and names what is wrong; webhook routes answer 400 to
any body it refuses, before authentication, database or provider calls. :func:`load_untrusted` is the
parser's own guard: ``json.loads`` that raises only ``ValueError``.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: deeper than any provider or panel notification nests (they use 3 to 4 levels)
MAX_DEPTH = 32
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")


def looks_like_json(body: bytes) -> bool:
    return body.lstrip()[:1] in (b"{", b"[")


def nesting_exceeds(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether brackets outside strings nest deeper than ``limit`` (stops at the first level past it)."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def json_refusal(body: bytes) -> str | None:
    """``None`` when ``body`` is a JSON document within :data:`MAX_DEPTH`; otherwise why it is not."""
    if nesting_exceeds(body):
        return "nested too deeply"
    try:
        json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return "not JSON"
    return None


def load_untrusted(body: bytes | str, **options: Any) -> Any:
    """``json.loads`` for outside input: ``ValueError`` (never ``RecursionError``) for a body nested deeper
    than :data:`MAX_DEPTH` or not JSON at all."""
    raw = body.encode() if isinstance(body, str) else body
    if nesting_exceeds(raw):
        raise ValueError("JSON nested too deeply")
    try:
        return json.loads(raw, **options)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
