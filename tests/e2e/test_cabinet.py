"""The customer cabinet on the shop's web server: sign-in (link and Mini App), screens, security rules,
and a purchase whose new expiry the cabinet shows. The bot, the panel and YooKassa are the emulators."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import select, update

from remnastore.cabinet.auth import sign_init_data
from remnastore.db.models import CabinetToken, Order
from remnastore.emulators.telegram import FakeUser
from tests.e2e.test_promos import make_code
from tests.fixtures.cabinet import Browser
from tests.fixtures.providers import PaymentEmulators
from tests.fixtures.shop import BOT_TOKEN, Shop

DEVICE_RE = re.compile(r'name="device" value="([^"]+)"')


@pytest.fixture
def shop_env(payment_emulators: PaymentEmulators) -> dict[str, str]:
    return payment_emulators.settings() | {
        "CABINET_ENABLED": "true",
        "PUBLIC_URL": "https://shop.example",
        "CABINET_SHOP_NAME": "Test VPN",
    }


@pytest.fixture
def base(shop: Shop, payment_emulators: PaymentEmulators) -> str:
    payment_emulators.point_at(f"http://127.0.0.1:{shop.app.port}")
    return f"http://127.0.0.1:{shop.app.port}/cabinet"


@pytest.fixture
async def browsers(base: str) -> AsyncIterator[list[Browser]]:
    opened = [Browser(base) for _ in range(3)]
    yield opened
    for browser in opened:
        await browser.close()


async def link_from_bot(user: FakeUser) -> str:
    """The customer presses the Cabinet button; the bot's URL button is the personal sign-in link."""
    await user.wait_reply(await user.send("/start"))
    reply = await user.wait_reply(await user.press("🗂 Personal cabinet"))
    assert "signs you in once, within 15 minutes" in reply.text
    urls = [b.url for row in reply.buttons for b in row if b.url]
    web_apps = [b.web_app_url for row in reply.buttons for b in row if b.web_app_url]
    assert web_apps == ["https://shop.example/cabinet/app"]
    assert len(urls) == 1 and urls[0].startswith("https://shop.example/cabinet/login#")
    return urls[0]


async def sign_in(browser: Browser, link: str) -> tuple[int, str]:
    token = link.partition("#")[2]
    status, page, response = await browser.post("/login", {"token": token})
    if status == 303:
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
        assert "Path=/cabinet" in cookie
    return status, page


def with_access(shop: Shop, telegram_id: int, *, devices: int = 0) -> dict[str, object]:
    user = shop.panel.add_user(
        username=f"u{telegram_id}",
        telegram_id=telegram_id,
        expire_at=datetime.now(UTC) + timedelta(days=10),
        status="ACTIVE",
        hwid_device_limit=3,
    )
    for i in range(devices):
        shop.panel.add_device(int(user["id"]), f"hwid-{telegram_id}-{i}", device_model=f"Phone {i}")
    return user


async def test_sign_in_link_works_once_and_opens_the_customers_screens(
    shop: Shop, browsers: list[Browser]
) -> None:
    first, second, _ = browsers
    user = with_access(shop, 5101, devices=1)
    # what a client app reports about itself is the app's to choose: shown as text, never as markup
    shop.panel.add_device(int(str(user["id"])), "hwid-hostile", device_model='<img src=x onerror="alert(1)">')
    ann = shop.user(5101, first_name="Ann", language_code="en")
    link = await link_from_bot(ann)
    subscription = await ann.wait_reply(await ann.send("/subscription"))
    assert "🗂 Personal cabinet" in [b.text for row in subscription.buttons for b in row]
    assert (await first.get("/"))[0] == 303  # not signed in yet
    assert (await sign_in(first, link))[0] == 303
    status, page, response = await first.get("/")
    assert status == 200
    assert "Test VPN" in page and "My subscription" in page and "Phone 0" in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page and "<img src=x" not in page
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors" in response.headers["Content-Security-Policy"]
    status, page = await sign_in(second, link)
    assert status == 403 and "no longer valid" in page
    assert (await second.get("/"))[0] == 303


async def test_expired_and_forged_links_are_refused(shop: Shop, browsers: list[Browser]) -> None:
    browser = browsers[0]
    link = await link_from_bot(shop.user(5102, first_name="Bob", language_code="en"))
    async with shop.db.session() as session:
        await session.execute(
            update(CabinetToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert (await sign_in(browser, link))[0] == 403
    fresh = await link_from_bot(shop.user(5102))
    token = fresh.partition("#")[2]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    status, page, _ = await browser.post("/login", {"token": forged})
    assert status == 403 and "no longer valid" in page
    assert (await sign_in(browser, fresh))[0] == 303


async def test_two_browsers_racing_one_link_get_one_session(shop: Shop, browsers: list[Browser]) -> None:
    link = await link_from_bot(shop.user(5103, first_name="Cy", language_code="en"))
    results = await asyncio.gather(*(sign_in(b, link) for b in browsers))
    assert sorted(status for status, _ in results) == [303, 403, 403]


def init_data(telegram_id: int, *, age: timedelta = timedelta(seconds=5), token: str = BOT_TOKEN) -> str:
    fields = {
        "query_id": f"AAH{telegram_id}",
        "user": json.dumps({"id": telegram_id, "first_name": "Mini", "language_code": "ru"}),
        "auth_date": str(int(time.time() - age.total_seconds())),
    }
    return sign_init_data(fields, token)


async def test_mini_app_sign_in_refuses_forged_stale_and_replayed_data(
    shop: Shop, browsers: list[Browser]
) -> None:
    first, second, third = browsers
    status, page, response = await first.get("/app")  # what the Mini App button opens
    assert status == 200 and 'data-endpoint="/cabinet/auth/telegram"' in page
    assert '<script src="https://telegram.org/js/telegram-web-app.js">' in page
    assert "script-src 'self' https://telegram.org;" in response.headers["Content-Security-Policy"]
    data = init_data(5104)
    status, body, _response = await first.post("/auth/telegram", {"init_data": data})
    assert status == 200 and json.loads(body) == {"ok": True, "next": "/cabinet/"}
    status, page, _ = await first.get("/")
    assert status == 200 and "Моя подписка" in page  # a new customer, in their Telegram language
    replayed = await second.post("/auth/telegram", {"init_data": data})
    assert replayed[0] == 403
    assert (await first.post("/auth/telegram", {"init_data": data}))[0] == 200  # its own session goes on
    assert (await first.post("/auth/telegram", {"init_data": init_data(5120)}))[0] == 200  # another account
    assert "Моя подписка" in (await first.get("/"))[1]
    forged = data.replace("5104", "5105")
    assert (await second.post("/auth/telegram", {"init_data": forged}))[0] == 403
    stale = init_data(5104, age=timedelta(hours=2))
    assert (await second.post("/auth/telegram", {"init_data": stale}))[0] == 403
    other_bot = init_data(5104, token="7000000002:AAE2eAnotherBotTokenForTests_xyz")
    assert (await third.post("/auth/telegram", {"init_data": other_bot}))[0] == 403
    for browser in (second, third):
        assert (await browser.get("/"))[0] == 303


async def test_forms_without_the_sessions_csrf_token_change_nothing(
    shop: Shop, browsers: list[Browser]
) -> None:
    browser = browsers[0]
    user = with_access(shop, 5106, devices=1)
    assert (await sign_in(browser, await link_from_bot(shop.user(5106, language_code="en"))))[0] == 303
    _, page, _ = await browser.get("/")
    device = DEVICE_RE.search(page)
    assert device is not None
    for form in ({"device": device.group(1)}, {"device": device.group(1), "csrf": "wrong"}):
        status, page, _ = await browser.post("/devices/disconnect", form)
        assert status == 403 and "refused" in page
    assert (await browser.post("/language", {"language": "ru"}))[0] == 403
    assert (await browser.post("/logout-everywhere", {}))[0] == 403
    assert len(shop.panel.devices(int(user["id"]))) == 1
    status, _, response = await browser.post(
        "/devices/disconnect", {"device": device.group(1), "csrf": await browser.csrf()}
    )
    assert status == 303 and response.headers["Location"].startswith("/cabinet/?notice=device-disconnected")
    assert shop.panel.devices(int(user["id"])) == []
    _, page, _ = await browser.get("/?notice=device-disconnected")
    assert "The device was disconnected" in page


async def test_one_customer_cannot_act_on_anothers_device_or_order(
    shop: Shop, browsers: list[Browser], payment_emulators: PaymentEmulators
) -> None:
    ann, bob, _ = browsers
    ann_user = with_access(shop, 5107, devices=1)
    with_access(shop, 5108, devices=1)
    assert (await sign_in(ann, await link_from_bot(shop.user(5107, language_code="en"))))[0] == 303
    assert (await sign_in(bob, await link_from_bot(shop.user(5108, language_code="en"))))[0] == 303
    _, ann_page, _ = await ann.get("/")
    ann_device = DEVICE_RE.search(ann_page)
    assert ann_device is not None
    status, _page, _ = await bob.post(
        "/devices/disconnect", {"device": ann_device.group(1), "csrf": await bob.csrf()}
    )
    assert status == 400
    assert len(shop.panel.devices(int(ann_user["id"]))) == 1
    # Ann's CSRF token is no key to Bob's session
    status, _, _ = await bob.post("/devices/disconnect", {"device": "x", "csrf": await ann.csrf()})
    assert status == 403
    status, _, _response = await ann.post(
        "/buy", {"csrf": await ann.csrf(), "tariff": "standard", "period": "1m", "method": "yookassa"}
    )
    assert status == 303
    async with shop.db.session() as session:
        order = (await session.scalars(select(Order))).one()
    assert (await ann.get(f"/orders/{order.id}"))[0] == 200
    assert (await bob.get(f"/orders/{order.id}"))[0] == 404
    assert (await bob.get("/orders/not-an-order"))[0] == 404


async def test_buying_a_month_in_the_cabinet_shows_the_new_expiry(
    shop: Shop, browsers: list[Browser], payment_emulators: PaymentEmulators
) -> None:
    browser = browsers[0]
    customer = shop.user(5109, first_name="Dee", language_code="en")
    assert (await sign_in(browser, await link_from_bot(customer)))[0] == 303
    status, page, _ = await browser.get("/buy")
    assert status == 200 and "YooKassa" in page
    stars = re.search(r'<form[^>]*class="in-telegram" hidden>(?:(?!</form>).)*Telegram Stars', page, re.S)
    assert stars is not None  # offered inside the Mini App only (its script shows it)
    status, _, response = await browser.post(
        "/buy", {"csrf": await browser.csrf(), "tariff": "standard", "period": "1m", "method": "yookassa"}
    )
    assert status == 303
    async with shop.db.session() as session:
        order = (await session.scalars(select(Order))).one()
    assert response.headers["Location"] == order.pay_url
    payment = payment_emulators.yookassa.payments[str(order.provider_payment_id)]
    assert payment["confirmation"]["return_url"] == "https://shop.example/cabinet/return"
    _, body, _ = await browser.get(f"/orders/{order.id}")
    assert json.loads(body)["status"] == "pending"
    delivery = await payment_emulators.yookassa.deliver(
        payment_emulators.yookassa.pay(str(order.provider_payment_id))
    )
    assert delivery.status == 200
    status, page, _ = await browser.get("/return")
    assert status == 200 and f"/cabinet/orders/{order.id}" in page
    answer: dict[str, object] = {}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        answer = json.loads((await browser.get(f"/orders/{order.id}"))[1])
        if answer["status"] == "fulfilled":
            break
        await asyncio.sleep(0.2)  # the page polls the same way
    assert answer["status"] == "fulfilled", answer
    panel_user = shop.panel.user_by_telegram_id(5109)
    assert panel_user is not None
    expiry = datetime.fromisoformat(str(panel_user["expireAt"]).replace("Z", "+00:00"))
    assert answer["expires_at"] == expiry.isoformat()
    assert "now valid until" in str(answer["expiry_text"])
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in customer.messages), timeout=15
    )


async def test_sign_out_everywhere_ends_sessions_and_voids_links(shop: Shop, browsers: list[Browser]) -> None:
    first, second, third = browsers
    user = shop.user(5110, first_name="Eve", language_code="en")
    assert (await sign_in(first, await link_from_bot(user)))[0] == 303
    assert (await sign_in(second, await link_from_bot(user)))[0] == 303
    unused = await link_from_bot(user)
    status, _, _response = await first.post("/logout-everywhere", {"csrf": await first.csrf()})
    assert status == 303
    assert (await first.get("/"))[0] == 303
    assert (await second.get("/"))[0] == 303
    assert (await sign_in(third, unused))[0] == 403


async def test_guides_offer_one_tap_import_for_each_platform(shop: Shop, browsers: list[Browser]) -> None:
    browser = browsers[0]
    panel_user = with_access(shop, 5111)
    assert (await sign_in(browser, await link_from_bot(shop.user(5111, language_code="en"))))[0] == 303
    link = str(panel_user["subscriptionUrl"])
    _, page, _ = await browser.get("/connect")
    for platform in ("ios", "android", "windows", "macos", "linux", "androidtv"):
        assert f"/cabinet/connect/{platform}" in page
        status, guide, _ = await browser.get(f"/connect/{platform}")
        assert status == 200 and "Add to" in guide
    _, ios, _ = await browser.get("/connect/ios")
    assert f'href="happ://add/{link}"' in ios and "happ://crypt" not in ios  # 3.x offers no crypto link
    assert "v2box://install-sub?url=" in ios and "streisand://import/" in ios
    _, windows, _ = await browser.get("/connect/windows")
    assert "streisand://" not in windows and "hiddify://import/" in windows
    assert (await browser.get("/connect/symbian"))[0] == 404


@pytest.mark.parametrize("panel_emulator", [{"version": "2.2.6"}], indirect=True)
async def test_happ_imports_the_encrypted_link_where_the_panel_offers_it(
    shop: Shop, browsers: list[Browser]
) -> None:
    """A panel before 2.3.0 returns Happ's encrypted link with each user: Happ's button uses it, the
    other apps and the page itself keep the plain address."""
    browser = browsers[0]
    panel_user = with_access(shop, 5122)
    crypto = str(panel_user["happ"]["cryptoLink"])  # type: ignore[index]
    assert crypto.startswith("happ://crypt3/")
    assert (await sign_in(browser, await link_from_bot(shop.user(5122, language_code="en"))))[0] == 303
    _, ios, _ = await browser.get("/connect/ios")
    assert f'href="{crypto}"' in ios and "happ://add/" not in ios
    assert f"v2raytun://import/{panel_user['subscriptionUrl']}" in ios
    _, page, _ = await browser.get("/")
    assert str(panel_user["subscriptionUrl"]) in page and "happ://crypt" not in page


class TestLimits:
    @pytest.fixture
    def shop_env(self, payment_emulators: PaymentEmulators) -> dict[str, str]:
        return {
            "TRUSTED_PROXIES": "127.0.0.1",
            "CABINET_ENABLED": "true",
            "PUBLIC_URL": "http://shop.example",
            "CABINET_REQUESTS_PER_MINUTE": "5",
            "CABINET_APPS": "happ",
            "CABINET_PLATFORMS": "android,ios",
        }

    async def test_a_session_over_its_rate_is_refused(self, shop: Shop, browsers: list[Browser]) -> None:
        browser = browsers[0]
        user = shop.user(5112, language_code="en")
        await user.wait_reply(await user.send("/start"))
        reply = await user.wait_reply(await user.press("🗂 Personal cabinet"))
        assert not [b for row in reply.buttons for b in row if b.web_app_url]  # no Mini App on http
        link = next(b.url for row in reply.buttons for b in row if b.url)
        status, _, response = await browser.post("/login", {"token": link.partition("#")[2]})
        assert status == 303 and "Secure" not in response.headers["Set-Cookie"]
        statuses = [(await browser.get("/connect"))[0] for _ in range(6)]
        assert statuses[:5] == [200] * 5 and statuses[5] == 429
        other = browsers[1]
        assert (await other.get("/login"))[0] == 200  # the same address, another session

    async def test_an_address_over_its_rate_is_refused(self, shop: Shop, base: str) -> None:
        """Behind the trusted proxy (127.0.0.1) each client address has its own allowance (4 x 5)."""

        async def from_address(address: str) -> int:
            async with aiohttp.ClientSession() as http:
                headers = {"X-Forwarded-For": address}
                async with http.get(f"{base}/login", headers=headers, allow_redirects=False) as response:
                    return response.status

        first = [await from_address("203.0.113.7") for _ in range(21)]
        assert first[:20] == [200] * 20 and first[20] == 429
        assert await from_address("203.0.113.8") == 200


async def test_a_panel_outage_is_told_politely_and_the_link_never_reaches_the_logs(
    shop: Shop, browsers: list[Browser], caplog: pytest.LogCaptureFixture
) -> None:
    browser = browsers[0]
    with_access(shop, 5113, devices=1)
    caplog.set_level("DEBUG")
    link = await link_from_bot(shop.user(5113, language_code="en"))
    assert (await sign_in(browser, link))[0] == 303
    assert (await sign_in(browsers[1], link))[0] == 403  # refused attempts are logged too
    token = link.partition("#")[2]
    assert token not in caplog.text and token[:20] not in caplog.text
    shop.panel.set_down(True)
    try:
        status, page, _ = await browser.get("/connect/ios")
        assert status == 503 and "temporarily unavailable" in page
        status, page, _ = await browser.get("/")
        assert status == 200 and "temporarily unavailable" in page
    finally:
        shop.panel.set_down(False)


async def test_the_customer_changes_the_language_of_the_cabinet_and_the_bot(
    shop: Shop, browsers: list[Browser]
) -> None:
    browser = browsers[0]
    user = shop.user(5114, first_name="Fay", language_code="en")
    assert (await sign_in(browser, await link_from_bot(user)))[0] == 303
    csrf = await browser.csrf()
    status, _, response = await browser.post(
        "/language", {"csrf": csrf, "language": "ru", "back": "//evil.example/x"}
    )
    assert status == 303 and response.headers["Location"] == "/cabinet/"
    _, page, _ = await browser.get("/account")
    assert '<html lang="ru">' in page and "Выйти на всех устройствах" in page
    assert (await browser.post("/language", {"csrf": csrf, "language": "de"}))[0] == 400
    reply = await user.wait_reply(await user.send("/start"))
    assert "🗂 Личный кабинет" in [b.text for row in reply.buttons for b in row]


async def test_stars_are_paid_in_telegrams_payment_sheet_from_the_mini_app(
    shop: Shop, browsers: list[Browser]
) -> None:
    browser = browsers[0]
    status, _, response = await browser.post("/auth/telegram", {"init_data": init_data(5115)})
    assert status == 200 and "remnastore_cabinet_tg=1" in response.headers.getall("Set-Cookie")[-1]
    _, page, response = await browser.get("/buy")
    assert '<script src="https://telegram.org/js/telegram-web-app.js">' in page
    assert "script-src 'self' https://telegram.org;" in response.headers["Content-Security-Policy"]
    form = {"csrf": await browser.csrf(), "tariff": "standard", "period": "1m", "method": "stars"}
    assert (await browser.post("/buy", form))[0] == 400  # a plain form post: there is no page to follow
    async with browser.http.post(
        browser.base + "/buy", data=form, headers={**browser._headers(), "Accept": "application/json"}
    ) as answer:
        assert answer.status == 200
        browser._keep(answer)
        invoice = await answer.json()
    assert invoice["next"] == "/cabinet/return"
    paid = await shop.user(5115).pay_invoice(link=invoice["invoice"])
    assert paid.approved and paid.payment_update_id is not None
    async with shop.db.session() as session:
        order = (await session.scalars(select(Order))).one()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        answer_body = json.loads((await browser.get(f"/orders/{order.id}"))[1])
        if answer_body["status"] == "fulfilled":
            break
        await asyncio.sleep(0.2)
    assert answer_body["status"] == "fulfilled" and order.provider == "stars"


async def test_stale_credentials_are_purged(shop: Shop, browsers: list[Browser]) -> None:
    user = shop.user(5116, language_code="en")
    assert (await sign_in(browsers[0], await link_from_bot(user)))[0] == 303
    await link_from_bot(user)  # an unused link
    async with shop.db.session() as session:
        await session.execute(
            update(CabinetToken)
            .where(CabinetToken.kind == "link")
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert shop.app.cabinet is not None
    await shop.app.cabinet.access.purge_stale()
    async with shop.db.session() as session:
        kinds = (await session.scalars(select(CabinetToken.kind))).all()
    assert kinds == ["session"]
    assert (await browsers[0].get("/"))[0] == 200


class TestWithoutAPublicAddress:
    @pytest.fixture
    def shop_env(self) -> dict[str, str]:
        return {"CABINET_ENABLED": "true", "PUBLIC_URL": "", "WEBHOOK_BASE_URL": ""}

    async def test_the_cabinet_stays_off(self, shop: Shop, base: str, browsers: list[Browser]) -> None:
        user = shop.user(5117, language_code="en")
        reply = await user.wait_reply(await user.send("/start"))
        assert "🗂 Personal cabinet" not in [b.text for row in reply.buttons for b in row]
        assert shop.app.cabinet is None
        assert (await browsers[0].get("/login"))[0] == 404


async def test_a_promo_code_entered_in_the_cabinet_adds_days_once(
    shop: Shop, browsers: list[Browser]
) -> None:
    browser = browsers[0]
    with_access(shop, 5118)
    await make_code(shop, "CABINET7", "days", 7)
    assert (await sign_in(browser, await link_from_bot(shop.user(5118, language_code="en"))))[0] == 303
    before = datetime.fromisoformat(json.loads((await browser.get("/status"))[1])["expires_at"])
    csrf = await browser.csrf()
    status, page, _ = await browser.post("/promo", {"csrf": csrf, "code": "cabinet7"})
    assert status == 200 and "Promo code applied: +7 days" in page
    after = datetime.fromisoformat(json.loads((await browser.get("/status"))[1])["expires_at"])
    assert after - before == timedelta(days=7)
    status, page, _ = await browser.post("/promo", {"csrf": csrf, "code": "CABINET7"})
    assert status == 400 and "already used this promo code" in page
    assert (await browser.post("/promo", {"code": "CABINET7"}))[0] == 403


async def test_a_form_posted_from_another_site_is_refused(shop: Shop, browsers: list[Browser]) -> None:
    """Login CSRF: another site's form cannot sign the visitor in (the link stays unused)."""
    browser = browsers[0]
    link = await link_from_bot(shop.user(5119, language_code="en"))
    token = link.partition("#")[2]
    for origin in ("https://evil.example", "http://shop.example.evil.example"):
        async with browser.http.post(
            browser.base + "/login", data={"token": token}, headers={"Origin": origin}, allow_redirects=False
        ) as response:
            assert response.status == 403 and "Set-Cookie" not in response.headers
    async with browser.http.post(
        browser.base + "/login",
        data={"token": token},
        headers={"Origin": "https://shop.example"},
        allow_redirects=False,
    ) as response:
        assert response.status == 303  # from the shop's own public address


class TestBalance:
    @pytest.fixture
    def shop_env(self, payment_emulators: PaymentEmulators) -> dict[str, str]:
        return payment_emulators.settings() | {
            "CABINET_ENABLED": "true",
            "PUBLIC_URL": "https://shop.example",
            "BALANCE_ENABLED": "true",
        }

    async def test_a_top_up_of_an_offered_amount_is_credited_and_shown(
        self, shop: Shop, browsers: list[Browser], payment_emulators: PaymentEmulators
    ) -> None:
        browser = browsers[0]
        assert (await sign_in(browser, await link_from_bot(shop.user(5121, language_code="en"))))[0] == 303
        _, page, _ = await browser.get("/account")
        assert 'id="balance">0.00 ₽<' in page and '<option value="30000">300.00 ₽</option>' in page
        csrf = await browser.csrf()
        for refused in ({"amount": "12345", "method": "yookassa"}, {"amount": "30000", "method": "stars"}):
            assert (await browser.post("/topup", {"csrf": csrf, **refused}))[0] == 400  # typed / no page
        status, _, _ = await browser.post("/topup", {"csrf": csrf, "amount": "30000", "method": "yookassa"})
        assert status == 303
        async with shop.db.session() as session:
            order = (await session.scalars(select(Order))).one()
        assert order.kind == "topup" and order.amount_minor == 30000
        payment = payment_emulators.yookassa.payments[str(order.provider_payment_id)]
        assert payment["confirmation"]["return_url"] == "https://shop.example/cabinet/return"
        _, page, _ = await browser.get("/return")
        assert f'data-status-url="/cabinet/orders/{order.id}?topup=1"' in page
        yookassa = payment_emulators.yookassa
        assert (await yookassa.deliver(yookassa.pay(str(order.provider_payment_id)))).status == 200
        answer: dict[str, object] = {}
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            answer = json.loads((await browser.get(f"/orders/{order.id}?topup=1"))[1])
            if answer["status"] == "fulfilled":
                break
            await asyncio.sleep(0.2)
        assert answer["balance_text"] == "Your balance is now 300.00 ₽."
        assert 'id="balance">300.00 ₽<' in (await browser.get("/account"))[1]
