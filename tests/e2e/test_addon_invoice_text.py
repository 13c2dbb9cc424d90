"""An add-on's Stars invoice: the title names the add-on, the description says what it does, and the
order text does not send the customer to a payment page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_addons import CATALOGUE, buy_addon_with_stars, subscribe
from tests.fixtures.shop import Shop


@pytest.fixture
def shop_env(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "catalogue.toml"
    path.write_text(CATALOGUE, encoding="utf-8")
    return {"CATALOGUE_FILE": str(path)}


async def test_the_add_on_stars_invoice_says_what_you_get(shop: Shop) -> None:
    buyer = await subscribe(shop, 9151)
    link = await buy_addon_with_stars(shop, buyer, "More devices", "+1 device")
    invoice = shop.telegram.state.invoice_links[link]
    assert invoice["title"] == "VPN: +1 device"
    assert invoice["description"] != invoice["title"]
    assert "added to your current VPN subscription" in invoice["description"]
    order_text = buyer.last_message
    assert order_text is not None and "payment page" not in order_text.text
    assert "Telegram's payment window" in order_text.text
