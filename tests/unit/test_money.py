from __future__ import annotations

from decimal import Decimal

import pytest

from remnastore.domain.money import Money, UnknownCurrency, currency, is_known_currency


def test_from_decimal_is_exact() -> None:
    assert Money.from_decimal("199", "RUB") == Money(19900, "RUB")
    assert Money.from_decimal(Decimal("199.99"), "RUB") == Money(19999, "RUB")
    assert Money.from_decimal("0.10", "usd") == Money(10, "USD")
    assert Money.from_decimal("199.000", "RUB") == Money(19900, "RUB")  # trailing zeros are fine
    assert Money.from_decimal(250, "XTR") == Money(250, "XTR")
    assert Money.from_decimal("1.234567", "USDT") == Money(1_234_567, "USDT")
    assert Money.from_decimal("0.00000001", "BTC") == Money(1, "BTC")


@pytest.mark.parametrize(
    ("amount", "code"),
    [("199.999", "RUB"), ("1.5", "XTR"), ("0.000000001", "TON"), ("0.0000001", "USDT")],
)
def test_from_decimal_refuses_digits_the_currency_cannot_hold(amount: str, code: str) -> None:
    with pytest.raises(ValueError, match="decimal places"):
        Money.from_decimal(amount, code)


@pytest.mark.parametrize("amount", ["abc", "NaN", "Infinity", ""])
def test_from_decimal_refuses_non_numbers(amount: str) -> None:
    with pytest.raises(ValueError, match=r"not a (number|finite amount)"):
        Money.from_decimal(amount, "RUB")


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError, match="must be Decimal, str or int, not float"):
        Money.from_decimal(1.1, "RUB")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be an int, not float"):
        Money(1.5, "RUB")  # type: ignore[arg-type]


def test_unknown_currency_is_refused() -> None:
    assert not is_known_currency("ABC")
    with pytest.raises(UnknownCurrency, match="unknown currency 'ABC'"):
        Money(100, "ABC")
    with pytest.raises(UnknownCurrency, match="unknown currency 'DOGE'"):
        Money.from_decimal("1", "DOGE")
    assert currency("rub").exponent == 2
    assert currency("XTR").exponent == 0


def test_currency_code_is_upper_cased() -> None:
    assert Money(5, "rub").currency == "RUB"
    assert Money(5, "rub") == Money(5, "RUB")


def test_to_decimal_round_trips() -> None:
    assert Money(19900, "RUB").to_decimal() == Decimal("199.00")
    assert str(Money(19900, "RUB").to_decimal()) == "199.00"
    assert Money(250, "XTR").to_decimal() == Decimal(250)
    assert Money(1, "BTC").to_decimal() == Decimal("0.00000001")
    for text in ("0.01", "12345.67", "-3.50"):
        assert str(Money.from_decimal(text, "EUR").to_decimal()) == text


@pytest.mark.parametrize(
    ("money", "locale", "text"),
    [
        (Money(19900, "RUB"), "ru", "199.00 ₽"),
        (Money(19900, "RUB"), "en", "199.00 ₽"),
        (Money(199, "XTR"), "ru", "199 ⭐"),
        (Money(500, "USD"), "en", "$5.00"),
        (Money(5, "USD"), "en", "$0.05"),
        (Money(-500, "EUR"), "en", "-€5.00"),
        (Money(123456789, "RUB"), "en", "1,234,567.89 ₽"),
        (Money(123456789, "RUB"), "ru", "1 234 567.89 ₽"),
        (Money(5_000_000, "USDT"), "en", "5.00 USDT"),
        (Money(1_234_500, "USDT"), "en", "1.2345 USDT"),
        (Money(50_000_000, "TON"), "en", "0.50 TON"),
        (Money(12_345, "BTC"), "en", "0.00012345 BTC"),
    ],
)
def test_format(money: Money, locale: str, text: str) -> None:
    assert money.format(locale) == text


def test_arithmetic_same_currency_only() -> None:
    assert Money(100, "RUB") + Money(250, "RUB") == Money(350, "RUB")
    assert Money(100, "RUB") - Money(250, "RUB") == Money(-150, "RUB")
    assert -Money(100, "RUB") == Money(-100, "RUB")
    with pytest.raises(TypeError, match="cannot add RUB and USD"):
        _ = Money(100, "RUB") + Money(100, "USD")
    with pytest.raises(TypeError, match="cannot subtract RUB and XTR"):
        _ = Money(100, "RUB") - Money(100, "XTR")
    with pytest.raises(TypeError, match="cannot add Money and int"):
        _ = Money(100, "RUB") + 5  # type: ignore[operator]


def test_comparison_same_currency_only() -> None:
    assert Money(100, "RUB") < Money(101, "RUB")
    assert Money(100, "RUB") <= Money(100, "RUB")
    assert Money(102, "RUB") > Money(101, "RUB")
    assert Money(101, "RUB") >= Money(101, "RUB")
    assert Money(100, "RUB") != Money(100, "USD")  # equality may be asked, it is simply False
    with pytest.raises(TypeError, match="cannot compare RUB and USD"):
        _ = Money(100, "RUB") < Money(100, "USD")
    with pytest.raises(TypeError, match="cannot compare RUB and USD"):
        _ = Money(100, "RUB") >= Money(100, "USD")


def test_money_is_immutable_and_hashable() -> None:
    price = Money(100, "RUB")
    with pytest.raises(AttributeError, match="cannot assign to field 'minor'"):
        price.minor = 5  # type: ignore[misc]
    assert {price, Money(100, "RUB")} == {price}


@pytest.mark.parametrize(
    ("minor", "percent", "expected"),
    [
        (19900, 0, 19900),
        (19900, 10, 17910),
        (19900, 100, 0),
        (199, 15, 169),  # discount 29.85 -> 30
        (1, 50, 0),  # discount 0.5 rounds half up to 1
        (3, 50, 1),  # discount 1.5 -> 2
        (5, 10, 4),  # discount 0.5 -> 1
        (0, 30, 0),
    ],
)
def test_percent_off_rounds_the_discount_half_up(minor: int, percent: int, expected: int) -> None:
    assert Money(minor, "RUB").percent_off(percent) == Money(expected, "RUB")


def test_percent_off_never_negative_and_validates() -> None:
    assert Money(-100, "RUB").percent_off(50) == Money(0, "RUB")
    with pytest.raises(ValueError, match="between 0 and 100, not 101"):
        Money(100, "RUB").percent_off(101)
    with pytest.raises(ValueError, match="between 0 and 100, not -1"):
        Money(100, "RUB").percent_off(-1)
    with pytest.raises(TypeError, match="percent must be an int"):
        Money(100, "RUB").percent_off(Decimal("10"))  # type: ignore[arg-type]


def test_discount_for_and_percent_off_add_up() -> None:
    price = Money(99999, "RUB")
    for percent in range(0, 101, 7):
        assert price.percent_off(percent) + price.discount_for(percent) == price
