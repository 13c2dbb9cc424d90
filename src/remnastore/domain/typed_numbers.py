"""Numbers a person typed: one strict grammar for amounts, one for whole numbers.

Everything a customer or an admin types as a number passes through here BEFORE any ``Decimal`` or ``int``
arithmetic. Python's own parsers accept far more than a person means (``1e999990``, ``NaN``, ``-0``,
``١٢``, ``1_000``, 5000-digit strings) and some of that costs seconds of CPU on the event loop, so the
grammar is checked on the text first, with a length cap, and only a short string of ASCII digits ever
reaches ``Decimal``/``int``.

Amount: ``<digits>[<sep><1-2 digits>]`` where ``sep`` is ``.`` or ``,``; at most :data:`MAX_AMOUNT_CHARS`
characters; surrounding whitespace is ignored, anything else (signs, exponents, inner spaces, thousands
separators, non-ASCII digits, NaN/Infinity) is refused. Whole number: ASCII digits only, at most
:data:`MAX_INTEGER_DIGITS`, optionally within bounds.
"""

from __future__ import annotations

import re
from decimal import Decimal

from remnastore.domain.money import Money, UnknownCurrency, currency

MAX_AMOUNT_CHARS = 16  # 12 whole digits, a separator and two decimals, with room to spare
MAX_AMOUNT_DECIMALS = 2
MAX_INTEGER_DIGITS = 16  # enough for any Telegram id

_AMOUNT = re.compile(r"([0-9]{1,13})(?:[.,]([0-9]{1,2}))?", re.ASCII)
_INTEGER = re.compile(r"[0-9]{1,16}", re.ASCII)


class NotATypedNumber(ValueError):
    """The text is not a number in the strict typed grammar (or is outside the allowed bounds)."""


def parse_typed_amount(text: str) -> Decimal:
    """A non-negative amount in major units ("250", "250.5", "250,50"); raises :class:`NotATypedNumber`."""
    whole, fraction = _amount_parts(text)
    return Decimal(f"{whole}.{fraction}" if fraction else whole)


def _amount_parts(text: str) -> tuple[str, str]:
    if not isinstance(text, str):
        raise NotATypedNumber("not text")
    cleaned = text.strip()
    if not cleaned or len(cleaned) > MAX_AMOUNT_CHARS:
        raise NotATypedNumber("empty or too long")
    match = _AMOUNT.fullmatch(cleaned)
    if match is None:
        raise NotATypedNumber("not an amount")
    return match.group(1), match.group(2) or ""


def parse_typed_money(text: str, currency_code: str) -> Money:
    """:func:`parse_typed_amount` in ``currency_code``; refuses more decimals than the currency has."""
    whole, fraction = _amount_parts(text)
    try:
        info = currency(currency_code)
    except UnknownCurrency:
        raise NotATypedNumber("unknown currency") from None
    if len(fraction) > info.exponent:
        raise NotATypedNumber("more decimals than the currency has")
    return Money(int(whole + fraction.ljust(info.exponent, "0")), info.code)


def parse_typed_int(text: str, *, low: int | None = None, high: int | None = None) -> int:
    """A whole number of ASCII digits, within ``low``..``high`` if given, or :class:`NotATypedNumber`."""
    if not isinstance(text, str):
        raise NotATypedNumber("not text")
    cleaned = text.strip()
    if _INTEGER.fullmatch(cleaned) is None:
        raise NotATypedNumber("not a whole number")
    value = int(cleaned)
    if (low is not None and value < low) or (high is not None and value > high):
        raise NotATypedNumber("out of bounds")
    return value


def typed_int_or_none(text: str, *, low: int | None = None, high: int | None = None) -> int | None:
    """:func:`parse_typed_int`, with ``None`` for a refusal."""
    try:
        return parse_typed_int(text, low=low, high=high)
    except NotATypedNumber:
        return None
