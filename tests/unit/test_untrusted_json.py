"""Outside JSON is read with a nesting bound: deep bodies get ValueError, never RecursionError."""

from __future__ import annotations

from decimal import Decimal

import pytest

from remnastore.infra.untrusted_json import MAX_DEPTH, json_refusal, load_untrusted, nesting_exceeds


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_the_bound_is_exact() -> None:
    assert load_untrusted(_nested(MAX_DEPTH)) is not None
    with pytest.raises(ValueError, match="nested too deeply"):
        load_untrusted(_nested(MAX_DEPTH + 1))


def test_brackets_inside_strings_do_not_count() -> None:
    body = b'{"a": "' + b"[" * 1000 + b'\\"{{{", "b": [1, 2]}'
    assert not nesting_exceeds(body)
    assert load_untrusted(body) == {"a": "[" * 1000 + '"{{{', "b": [1, 2]}


@pytest.mark.parametrize(
    "body",
    [b"[" * 200_000, b'{"a":' * 50_000, b'{"a": "unterminated', b"\xff\xfe", b"", b"{} trailing"],
)
def test_unreadable_bodies_are_refused_with_value_error(body: bytes) -> None:
    assert json_refusal(body) is not None
    # json.JSONDecodeError and UnicodeDecodeError are ValueErrors too; the type alone is what callers catch
    with pytest.raises(ValueError):
        load_untrusted(body)


def test_text_and_parse_options_are_passed_through() -> None:
    assert load_untrusted('{"amount": 1.10}', parse_float=Decimal) == {"amount": Decimal("1.10")}
