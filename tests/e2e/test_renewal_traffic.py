"""Traffic on renewal, per tariff (catalogue ``renewal_traffic``): every renewal of a limited tariff resets
the used traffic; "reset" gives the tariff's limit, "keep_addons" (the default) keeps traffic bought on
top, "carry_over" adds what was left unused. The customer is told before paying. Before, a renewal set
the tariff's limit and kept the used traffic: the bought add-on was lost and a NO_RESET tariff renewed
without fresh traffic."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from remnastore.db.models import Subscription
from remnastore.domain.catalogue import GIB, load_catalogue
from tests.e2e.test_addons import buy_addon_with_stars, subscribe
from tests.fixtures.shop import Shop

TARIFF = """
[[tariffs]]
code = "{code}"
name = {{ ru = "{name}", en = "{name}" }}
traffic_gb = 100
devices = 2
traffic_strategy = "NO_RESET"
{policy}

[[tariffs.periods]]
code = "1m"
months = 1
prices = {{ RUB = "99.00", XTR = 80 }}
"""
ADDON = """
[[addons]]
code = "traffic50"
kind = "traffic"
traffic_gb = 50
name = { ru = "+50 ГБ", en = "+50 GB" }
prices = { RUB = "99.00", XTR = 40 }
"""
POLICIES = {
    # tariff name: (catalogue line, limit after the renewal in GB, text shown before paying)
    "Fresh": ('renewal_traffic = "reset"', 100, "traffic bought on top ends with the period"),
    "Default": ("", 150, "keeps the traffic you bought on top"),
    "Carry": ('renewal_traffic = "carry_over"', 130, "unused traffic carries over"),
}


@pytest.fixture
def shop_env(tmp_path: Path) -> dict[str, str]:
    text = "".join(
        TARIFF.format(code=name.lower(), name=name, policy=line) for name, (line, _, _) in POLICIES.items()
    )
    path = tmp_path / "catalogue.toml"
    path.write_text(text + ADDON, encoding="utf-8")
    return {"CATALOGUE_FILE": str(path)}


def panel_traffic(shop: Shop, user_id: int) -> tuple[int, int, str]:
    user = shop.panel.user_by_telegram_id(user_id)
    assert user is not None
    return user["trafficLimitBytes"], user["userTraffic"]["usedTrafficBytes"], user["status"]


@pytest.mark.parametrize("tariff", list(POLICIES))
async def test_renewal_traffic_follows_the_tariffs_policy(shop: Shop, tariff: str) -> None:
    user_id = 9500 + list(POLICIES).index(tariff)
    _, limit_after, notice = POLICIES[tariff]
    buyer = await subscribe(shop, user_id, tariff=tariff)
    await buyer.pay_invoice(link=await buy_addon_with_stars(shop, buyer, "More traffic", "+50 GB"))
    await shop.telegram.wait_until(lambda: any("now 150 GB" in m.text for m in buyer.messages), 10)
    user = shop.panel.user_by_telegram_id(user_id)
    assert user is not None
    shop.panel.set_used_traffic(user["id"], 120 * GIB)  # 30 GB of the 150 are left

    # the customer is told what the renewal does with the traffic before paying
    await buyer.wait_reply(await buyer.send("/buy"))
    periods = await buyer.wait_reply(await buyer.press(tariff))
    assert notice in periods.text

    await subscribe(shop, user_id, tariff=tariff)

    assert panel_traffic(shop, user_id) == (limit_after * GIB, 0, "ACTIVE")
    async with shop.db.session() as session:
        record = await session.scalar(select(Subscription))
    assert record is not None and record.traffic_limit_bytes == limit_after * GIB


def test_an_unknown_renewal_traffic_policy_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text(TARIFF.format(code="x", name="X", policy='renewal_traffic = "forever"'), encoding="utf-8")
    with pytest.raises(Exception, match="renewal_traffic must be one of reset, keep_addons, carry_over"):
        load_catalogue(path)
