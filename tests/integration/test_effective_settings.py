"""EffectiveSettings on every backend: overrides on top of the defaults, concurrent changes each get their
own version (none lost), another instance reloads after its refresh interval, bad values are ignored."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from remnastore.db import Database
from remnastore.db.repositories.settings import SettingsRepository
from remnastore.domain.catalogue import load_catalogue
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.infra.clock import ManualClock
from remnastore.services.effective_settings import (
    Defaults,
    EffectiveSettings,
    TrialOptions,
    build_effective,
)


def defaults() -> Defaults:
    return Defaults(
        catalogue=load_catalogue(),
        trial=TrialOptions(True, 3, 10, 1),
        trial_strategy="NO_RESET",
        trial_squads=(),
        methods=("stars", "yookassa"),
        links={"support": "https://t.me/help", "terms": None},
    )


def test_invalid_overrides_are_ignored_and_valid_ones_applied() -> None:
    effective = build_effective(
        defaults(),
        {
            "catalogue.price.standard.1m.XTR": "not money",
            "catalogue.price.standard.1m.RUB": "249.50",
            "catalogue.price.standard.1m.EUR": "5",  # a currency the period has no price in
            "catalogue.period.family.1m.enabled": False,
            "catalogue.period.family.12m.enabled": False,
            "trial.days": 0,  # out of bounds
            "trial.traffic_gb": 25,
            "payments.order": ["yookassa", "ghost", 7],
            "payments.disabled": ["stars", "ghost"],
            "links.support": "",
            "links.channel": "https://t.me/news",
        },
        4,
    )
    period = effective.catalogue.item("standard", "1m")
    assert period is not None
    prices = period[1].prices
    assert prices["XTR"] == Money(150, "XTR") and prices["RUB"] == Money(24950, "RUB") and "EUR" not in prices
    assert [t.code for t in effective.catalogue.tariffs] == ["standard"]  # family has no period on sale
    assert [t.code for t in effective.full_catalogue.tariffs] == ["standard", "family"]
    assert (effective.trial.days, effective.trial.traffic_gb) == (3, 25)
    assert effective.method_order == ("yookassa", "stars") and effective.enabled_methods == ("yookassa",)
    assert dict(effective.links) == {"channel": "https://t.me/news"}


async def test_concurrent_changes_all_land_and_other_instances_reload(database: Database) -> None:
    clock = ManualClock()
    mine = EffectiveSettings(database, defaults(), clock, refresh_seconds=5)
    other = EffectiveSettings(database, defaults(), clock, refresh_seconds=5)
    await other.refresh()

    await asyncio.gather(
        *(
            mine.set_price("standard", p, "XTR", str(100 + i), actor=1)
            for i, p in enumerate(["1m", "3m", "6m"])
        ),
        mine.set_trial_value("days", "9", actor=1),
        mine.set_link("channel", "https://t.me/news", actor=1),
    )
    async with database.session() as session:
        repo = SettingsRepository(session)
        assert await repo.version() == 5 and len(await repo.all()) == 5

    assert other.current.trial.days == 3  # not yet: within its refresh interval
    await other.refresh()
    assert other.current.trial.days == 3
    clock.advance(timedelta(seconds=5))
    await other.refresh()
    assert other.current.trial.days == 9 and other.current.links["channel"] == "https://t.me/news"
    item = other.current.catalogue.item("standard", "6m")
    assert item is not None and item[1].prices["XTR"] == Money(102, "XTR")


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda s: s.set_price("standard", "1m", "XTR", "-5", actor=1), "settings-bad-price"),
        (lambda s: s.set_price("standard", "1m", "XTR", "1.5", actor=1), "settings-bad-price"),
        (lambda s: s.set_price("standard", "1m", "EUR", "5", actor=1), "settings-unknown-item"),
        (lambda s: s.set_price("nope", "1m", "XTR", "5", actor=1), "settings-unknown-item"),
        (lambda s: s.set_trial_value("days", "0", actor=1), "settings-bad-number"),
        (lambda s: s.set_link("support", "javascript:alert(1)", actor=1), "settings-bad-link"),
        (lambda s: s.set_link("evil", "https://x.y", actor=1), "settings-unknown-item"),
        (lambda s: s.move_method("ghost", 1, actor=1), "settings-unknown-item"),
        (lambda s: s.set_maintenance_message("x" * 1001, actor=1), "settings-too-long"),
    ],
)
async def test_bad_values_are_refused_and_change_nothing(database: Database, call: object, key: str) -> None:
    settings = EffectiveSettings(database, defaults(), ManualClock())
    with pytest.raises(DomainError) as refused:
        await call(settings)  # type: ignore[operator]
    assert refused.value.text_key == key
    async with database.session() as session:
        assert await SettingsRepository(session).version() == 0
