"""Promo rules without a database: discounted prices, codes, and what the admin wizard accepts."""

from __future__ import annotations

import pytest

from remnastore.domain.catalogue import load_catalogue
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.domain.promos import CODE_ALPHABET, Discount, generate_code, valid_code
from remnastore.infra.clock import ManualClock
from remnastore.services.promo_admin import PromoAdmin


def discount(
    kind: str, value: int, currency: str | None = None, tariffs: tuple[str, ...] | None = None
) -> Discount:
    return Discount(1, "CODE", kind, value, currency, tariffs)


def test_percent_discount_rounds_half_up_in_minor_units() -> None:
    assert discount("percent", 25).price(Money(150, "XTR")) == Money(112, "XTR")
    assert discount("percent", 20).price(Money(19900, "RUB")) == Money(15920, "RUB")
    assert discount("percent", 10).price(Money(1, "XTR")) == Money(1, "XTR")


def test_fixed_discount_applies_only_in_its_currency_and_never_makes_a_price_free() -> None:
    off = discount("fixed", 5000, "RUB")
    assert off.price(Money(19900, "RUB")) == Money(14900, "RUB")
    assert off.price(Money(150, "XTR")) == Money(150, "XTR")
    assert off.price(Money(3000, "RUB")) == Money(1, "RUB")


def test_out_of_range_discount_values_are_clamped_not_trusted() -> None:
    """A stored value outside its range (a hand-edited row) never raises a price or breaks checkout."""
    full = Money(19900, "RUB")
    assert discount("percent", 0).price(full) == full
    assert discount("percent", -20).price(full) == full
    assert discount("percent", 100).price(full) == Money(1, "RUB")
    assert discount("percent", 150).price(full) == Money(1, "RUB")
    assert discount("fixed", 0, "RUB").price(full) == full
    assert discount("fixed", -500, "RUB").price(full) == full


def test_days_and_balance_codes_do_not_change_prices() -> None:
    assert discount("days", 7).price(Money(150, "XTR")) == Money(150, "XTR")
    assert discount("balance", 100, "RUB").price(Money(19900, "RUB")) == Money(19900, "RUB")


def test_tariff_restriction() -> None:
    assert discount("percent", 10, tariffs=("family",)).applies_to("family")
    assert not discount("percent", 10, tariffs=("family",)).applies_to("standard")
    assert discount("percent", 10).applies_to("standard")


def test_generated_codes_fit_a_deep_link_and_avoid_look_alikes() -> None:
    codes = {generate_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(valid_code(c) and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not valid_code("ab") and not valid_code("a b c") and not valid_code("x" * 33)
    assert valid_code("SPRING-25_x")


@pytest.fixture
def admin() -> PromoAdmin:
    return PromoAdmin(None, ManualClock(), load_catalogue(None), default_currency="RUB")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("days", "7", (7, None)),
        ("percent", "15%", (15, None)),
        ("fixed", "100", (10000, "RUB")),
        ("fixed", "50 xtr", (50, "XTR")),
        ("balance", "99,50", (9950, "RUB")),
    ],
)
def test_wizard_values(admin: PromoAdmin, kind: str, text: str, expected: tuple[int, str | None]) -> None:
    assert admin.parse_value(kind, text) == expected


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("days", "0"),
        ("days", "3651"),
        ("percent", "100"),
        ("percent", "-5"),
        ("fixed", "0"),
        ("fixed", "1.001"),
        ("fixed", "10 ABC"),
        ("balance", "lots"),
        ("fixed", "1 2 3"),
    ],
)
def test_wizard_refuses_bad_values(admin: PromoAdmin, kind: str, text: str) -> None:
    with pytest.raises(DomainError, match=r"^admin-promo-bad-(value|amount)$"):
        admin.parse_value(kind, text)


def test_wizard_tariffs(admin: PromoAdmin) -> None:
    assert admin.parse_tariffs("Family, standard family") == ("family", "standard")
    with pytest.raises(DomainError, match=r"^admin-promo-bad-tariffs$"):
        admin.parse_tariffs("premium")
