"""Properties of the typed-number parsers, over any text a person could send.

1. Any text returns or is refused within a small time bound (and nothing but a refusal is raised).
2. A refusal changes nothing: a refused price or trial value leaves the settings as they were.
3. What is accepted round-trips exactly: the amount that was typed is the amount that is stored.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remnastore.db import Database
from remnastore.db.repositories.settings import SettingsRepository
from remnastore.domain.catalogue import load_catalogue
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.domain.typed_numbers import (
    MAX_AMOUNT_CHARS,
    NotATypedNumber,
    parse_typed_amount,
    parse_typed_int,
    parse_typed_money,
)
from remnastore.infra.clock import ManualClock
from remnastore.services.balance import BalanceService
from remnastore.services.campaigns import CampaignAdmin
from remnastore.services.effective_settings import Defaults, EffectiveSettings, TrialOptions
from remnastore.services.promo_admin import PromoAdmin

TIME_BOUND = 0.05  # seconds; the exponent that froze the shop took ~26 s

# Text shaped like numbers, so that the interesting edges are hit far more often than by random text:
# signs, exponents, several separators, non-ASCII digits, NaN/Infinity, huge digit runs, inner spaces.
_DIGITS = st.sampled_from("0123456789٠١٢٣٤٥٦٧٨٩０１２３４５６７８９²³¹")
_PIECES = st.one_of(
    st.text(_DIGITS, min_size=1, max_size=20),
    st.sampled_from(
        [
            ".",
            ",",
            "e",
            "E",
            "e999990",
            "E+999999",
            "e-999999",
            "-",
            "+",
            " ",
            "_",
            "\u00a0",
            "\n",
            "NaN",
            "nan",
        ]
    ),
    st.sampled_from(["Infinity", "inf", "sNaN", "0x", "₽", "$", "%", "1" * 5000, "9" * 40]),
)
NUMBERISH = st.lists(_PIECES, max_size=6).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=200), NUMBERISH)


def _timed(parse: object, text: str) -> tuple[object, float]:
    started = time.perf_counter()
    try:
        result: object = parse(text)  # type: ignore[operator]
    except NotATypedNumber:
        result = None
    return result, time.perf_counter() - started


@given(ANY_TEXT)
def test_any_text_is_read_or_refused_quickly_as_an_amount(text: str) -> None:
    result, took = _timed(parse_typed_amount, text)
    assert took < TIME_BOUND, (text[:60], took)
    if result is not None:
        assert isinstance(result, Decimal) and result.is_finite() and result >= 0
        assert len(text.strip()) <= MAX_AMOUNT_CHARS
        assert result.as_tuple().exponent in (0, -1, -2)
        # nothing outside the grammar was accepted: the text is ASCII digits and at most one separator
        core = text.strip()
        assert core.isascii() and sum(c in ".," for c in core) <= 1
        assert core.replace(".", "").replace(",", "").isdigit()


@given(ANY_TEXT, st.sampled_from(["RUB", "USD", "XTR", "USDT"]))
def test_any_text_is_read_or_refused_quickly_as_money(text: str, code: str) -> None:
    result, took = _timed(lambda value: parse_typed_money(value, code), text)
    assert took < TIME_BOUND, (text[:60], took)
    if result is not None:
        assert isinstance(result, Money) and result.currency == code and result.minor >= 0


@given(ANY_TEXT, st.integers(0, 10**6), st.integers(0, 10**7))
def test_any_text_is_read_or_refused_quickly_as_a_whole_number(text: str, low: int, span: int) -> None:
    high = low + span
    result, took = _timed(lambda value: parse_typed_int(value, low=low, high=high), text)
    assert took < TIME_BOUND, (text[:60], took)
    if result is not None:
        assert isinstance(result, int) and low <= result <= high
        assert text.strip().isascii() and text.strip().isdigit()


@given(
    st.integers(0, 10**13 - 1),
    st.integers(0, 99),
    st.sampled_from([".", ","]),
    st.sampled_from(["", " ", "\t"]),
)
def test_an_accepted_amount_is_exactly_what_was_typed(
    whole: int, cents: int, separator: str, pad: str
) -> None:
    text = f"{pad}{whole}{separator}{cents:02d}{pad}"
    assert parse_typed_money(text, "RUB") == Money(whole * 100 + cents, "RUB")
    assert parse_typed_amount(text) == Decimal(whole) + Decimal(cents) / 100
    # and the shop's own rendering of an amount reads back as the same amount
    money = Money(whole * 100 + cents, "RUB")
    assert parse_typed_money(str(money.to_decimal()), "RUB") == money


@given(st.integers(0, 10**16 - 1))
def test_an_accepted_whole_number_is_exactly_what_was_typed(value: int) -> None:
    assert parse_typed_int(str(value)) == value


def _defaults() -> Defaults:
    return Defaults(
        catalogue=load_catalogue(),
        trial=TrialOptions(True, 3, 10, 1),
        trial_strategy="NO_RESET",
        trial_squads=(),
        methods=("stars", "yookassa"),
        links={"support": None, "terms": None},
    )


@pytest.mark.asyncio
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=ANY_TEXT)
async def test_a_refused_price_or_trial_value_changes_nothing(database: Database, text: str) -> None:
    shop_settings = EffectiveSettings(database, _defaults(), ManualClock())
    async with database.session() as session:
        before = await SettingsRepository(session).version()
    try:
        price = await shop_settings.set_price("standard", "1m", "RUB", text, actor=1)
    except DomainError as refused:
        assert refused.text_key == "settings-bad-price"
        async with database.session() as session:
            assert await SettingsRepository(session).version() == before
    else:
        # accepted: stored exactly as typed
        assert price == parse_typed_money(text, "RUB")
        item = (await shop_settings.refresh(force=True)).catalogue.item("standard", "1m")
        assert item is not None and item[1] is not None and item[1].prices["RUB"] == price
    async with database.session() as session:
        before = await SettingsRepository(session).version()
    try:
        await shop_settings.set_trial_value("days", text, actor=1)
    except DomainError as refused:
        assert refused.text_key == "settings-bad-number"
        async with database.session() as session:
            assert await SettingsRepository(session).version() == before


@pytest.fixture(scope="module")
def prompts() -> tuple[BalanceService, PromoAdmin, CampaignAdmin]:
    """The services behind every typed-number prompt (reading what was typed touches no database)."""
    db = Database("sqlite+aiosqlite://")
    return (
        BalanceService(db, currency="RUB", topups=[]),
        PromoAdmin(db, ManualClock(), load_catalogue(), default_currency="RUB"),
        CampaignAdmin(db, default_currency="RUB"),
    )


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ANY_TEXT)
def test_every_prompt_answers_any_text_quickly_with_a_value_or_its_polite_refusal(
    prompts: tuple[BalanceService, PromoAdmin, CampaignAdmin], text: str
) -> None:
    balance, promo_admin, campaign_admin = prompts
    readers = {
        "balance-amount-invalid": balance.parse_amount,
        "admin-promo-bad-value": lambda value: promo_admin.parse_value("days", value),
        "admin-promo-bad-amount": lambda value: promo_admin.parse_value("fixed", value),
        "admin-promo-bad-number": lambda value: PromoAdmin.parse_count(value, 1000),
        "admin-campaign-bad-cost": campaign_admin.parse_cost,
    }
    for refusal, read in readers.items():
        started = time.perf_counter()
        try:
            read(text)
        except DomainError as refused:  # anything else escaping would be an error reply, not a refusal
            assert refused.text_key == refusal
        assert time.perf_counter() - started < TIME_BOUND, (refusal, text[:60])
