"""/health and backups in the bot: each component's state, queues, and archives listed, made and sent."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from remnastore import __version__
from tests.e2e.test_purchase_stars import open_invoice
from tests.fixtures.shop import ADMIN_ID, Shop


@pytest.fixture
def shop_env(tmp_path: Path) -> dict[str, str]:
    return {"BACKUP_DIR": str(tmp_path / "backups"), "BACKUP_INTERVAL_HOURS": "0"}


async def test_health_shows_components_queues_and_a_panel_outage(shop: Shop) -> None:
    await open_invoice(shop, 8801)  # one unpaid order
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    reply = await admin.wait_reply(await admin.send("/health"))
    assert "everything answers" in reply.text
    for component in ("database", "panel", "payments:stars"):
        assert f"🟢 {component}:" in reply.text
    assert ("🟢 redis:" in reply.text) == (shop.redis_url is not None)
    assert "Paid orders waiting for fulfilment: 0; unpaid orders: 1" in reply.text
    assert f"Version {__version__}" in reply.text

    shop.panel.set_down()
    reply = await admin.wait_reply(await admin.press("Refresh"), timeout=15)
    assert "🔴 panel: DOWN" in reply.text and "some components are down" in reply.text
    assert "🟢 database:" in reply.text
    shop.panel.set_down(False)
    reply = await admin.wait_reply(await admin.press_data("an:he"), timeout=15)
    assert "🟢 panel:" in reply.text


async def test_backups_listed_made_and_sent(shop: Shop, tmp_path: Path) -> None:
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    reply = await admin.wait_reply(await admin.press_data("an:bk"))
    assert "No backups yet" in reply.text

    await admin.press("Make a backup now")
    await shop.telegram.wait_until(lambda: any("made (" in m.text for m in admin.messages), timeout=60)
    [archive] = list((tmp_path / "backups").glob("remnastore-*.tar.gz"))
    listing = admin.messages[-1]
    assert archive.name in listing.text and "1 in the backup folder" in listing.text

    send = next(b for b in listing.button_texts if b.startswith("📤"))
    await admin.press(send)
    call = await shop.telegram.wait_for_call("sendDocument")
    assert call.ok
    document = call.result["document"]
    assert document["file_name"] == archive.name
    stored = shop.telegram.state.files[document["file_id"]].data
    assert stored == archive.read_bytes()
    with tarfile.open(archive) as tar:
        assert any(name.endswith("manifest.json") for name in tar.getnames())


async def test_customers_cannot_see_health_or_backups(shop: Shop, tmp_path: Path) -> None:
    customer = shop.user(8802, language_code="en")
    reply = await customer.wait_reply(await customer.send("/health"))
    assert "Unknown command" in reply.text and "database" not in reply.text
    for data in ("an:he", "an:bk", "abk:create", "abk:send:remnastore-20260101-000000Z.tar.gz"):
        answer = await customer.wait_alert(await customer.press_data(data))
        assert "administrators only" in answer["text"], (data, answer)
    assert not (tmp_path / "backups").exists() or not list((tmp_path / "backups").iterdir())
    assert shop.telegram.calls_for("sendDocument") == []


async def test_health_warns_while_the_example_catalogue_is_sold(shop: Shop) -> None:
    # the test shop runs on the shipped example catalogue (no CATALOGUE_FILE)
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    reply = await admin.wait_reply(await admin.send("/health"))
    assert "You are selling the example prices" in reply.text and "CATALOGUE_FILE" in reply.text


OWN_CATALOGUE = str(Path(__file__).resolve().parents[1] / "fixtures" / "own_catalogue.toml")


@pytest.mark.parametrize("shop_env", [{"CATALOGUE_FILE": OWN_CATALOGUE}])
async def test_health_does_not_warn_with_the_sellers_own_catalogue(shop: Shop) -> None:
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    reply = await admin.wait_reply(await admin.send("/health"))
    assert "everything answers" in reply.text
    assert "example prices" not in reply.text
