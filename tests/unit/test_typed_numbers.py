"""The strict grammar of typed amounts and whole numbers."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from remnastore.db.session import Database
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.domain.typed_numbers import (
    NotATypedNumber,
    parse_typed_amount,
    parse_typed_int,
    parse_typed_money,
    typed_int_or_none,
)
from remnastore.services.balance import BalanceService


@pytest.mark.parametrize(
    ("text", "expected"),
    [("250", "250"), (" 250 ", "250"), ("250.5", "250.5"), ("250,50", "250.50"), ("0", "0"), ("007", "7")],
)
def test_plain_amounts_are_read_exactly(text: str, expected: str) -> None:
    assert parse_typed_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "1e999990",
        "1E5",
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "-1",
        "+1",
        "1 000",
        "1_000",
        "1.000",
        "1.2.3",
        "1,000.50",
        ".5",
        "5.",
        "0x10",
        "١٢٣",
        "１２３",
        "²",
        "1" * 14,
        "9" * 5000,
        "25\n0",
        "2\x0050",
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(NotATypedNumber):
        parse_typed_amount(text)


def test_the_exponent_that_froze_the_shop_is_refused_at_once() -> None:
    started = time.perf_counter()
    with pytest.raises(NotATypedNumber):
        parse_typed_money("1e999990", "RUB")
    # and Money itself refuses an absurd exponent before scaling it (it took ~26 s)
    with pytest.raises(ValueError, match="not a plausible amount"):
        Money.from_decimal("1e999990", "RUB")
    with pytest.raises(ValueError, match="not a plausible amount"):
        Money.from_decimal(Decimal("1e-999990"), "RUB")
    assert time.perf_counter() - started < 0.1


def test_money_in_a_currency_keeps_its_decimals() -> None:
    assert parse_typed_money("250,5", "RUB") == Money(25050, "RUB")
    assert parse_typed_money("50", "XTR") == Money(50, "XTR")
    with pytest.raises(NotATypedNumber, match="more decimals"):
        parse_typed_money("50.5", "XTR")
    with pytest.raises(NotATypedNumber, match="unknown currency"):
        parse_typed_money("50", "DOGE")


def test_whole_numbers() -> None:
    assert parse_typed_int(" 30 ") == 30
    assert parse_typed_int("30", low=1, high=30) == 30
    for text in ("", "+30", "-3", "3.0", "3e1", "³", "٣٠", "30 days", "9" * 17):
        assert typed_int_or_none(text) is None, text
    with pytest.raises(NotATypedNumber, match="out of bounds"):
        parse_typed_int("0", low=1)
    with pytest.raises(NotATypedNumber, match="out of bounds"):
        parse_typed_int("31", high=30)


def test_a_typed_top_up_may_carry_the_currency_symbol() -> None:
    service = BalanceService(Database("sqlite+aiosqlite://"), currency="RUB", topups=[])
    assert service.parse_amount("250,5 ₽") == Money(25050, "RUB")
    assert service.parse_amount(" 300 ") == Money(30000, "RUB")
    for text in ("1e999990", "₽ ₽ 5", "1 000", "0", "1000001", "-5"):
        with pytest.raises(DomainError, match="balance-amount-invalid"):
            service.parse_amount(text)
    dollars = BalanceService(Database("sqlite+aiosqlite://"), currency="USD", topups=[])
    assert dollars.parse_amount("$5") == Money(500, "USD")
