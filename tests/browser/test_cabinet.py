"""The customer cabinet in a real browser (headless Chromium, the system's package, via Playwright), at a
phone's viewport and a desktop's: the sandbox's "cabinet" link signs a customer in by a personal link,
the customer buys a month on the emulated YooKassa page and sees the new expiry, adds a device to it (an
add-on, paid on the same page), disconnects a device and opens every platform's guide. Screenshots go to
test-artifacts/screenshots/cabinet-*.png.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from remnastore.cabinet.auth import sign_init_data
from remnastore.sandbox.world import BOT_TOKEN
from tests.browser.test_sandbox import SCREENSHOTS, TIMEOUT_MS, Chat, browser, sandbox_url  # noqa: F401

VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}
PLATFORMS = {
    "ios": "iPhone and iPad",
    "android": "Android",
    "windows": "Windows",
    "macos": "macOS",
    "linux": "Linux",
    "androidtv": "Android TV",
}


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sandbox_page(browser: Browser, sandbox_url: str, viewport: str) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(viewport=VIEWPORTS[viewport])  # type: ignore[arg-type]
    opened = context.new_page()
    errors: list[str] = []
    context.on("weberror", lambda error: errors.append(str(error.error)))
    opened.goto(sandbox_url)
    expect(opened.locator("body")).to_have_attribute("data-ready", "true", timeout=TIMEOUT_MS)
    yield opened
    context.close()
    assert not errors, errors


def shot(page: Page, viewport: str, label: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"cabinet-{viewport}-{label}.png"), full_page=True)


def fits_the_screen(page: Page, viewport: str) -> None:
    width = VIEWPORTS[viewport]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def open_cabinet(sandbox_page: Page) -> Page:
    """A new customer, then the sandbox's cabinet link next to them: a tab with the personal link."""
    people = sandbox_page.locator("#identities button")
    before = people.count()
    sandbox_page.select_option("#new-language", "en")
    sandbox_page.click("#new-customer-button")
    expect(people).to_have_count(before + 1, timeout=TIMEOUT_MS)
    with sandbox_page.context.expect_page() as opened:
        sandbox_page.locator("#identities .cabinet-link").last.click()
    cabinet = opened.value
    cabinet.wait_for_load_state()
    return cabinet


def connect_a_device(link: str) -> None:
    """A VPN app fetches the subscription with its HWID, as Happ does: the panel (HWID limiting on in the
    sandbox) registers the device and serves the subscription, the device being within the limit."""
    request = urllib.request.Request(  # noqa: S310 - the emulated panel on 127.0.0.1
        link,
        headers={
            # through the panel's HTTPS reverse proxy, as an app reaches the subscription address
            "X-Forwarded-For": "127.0.0.1",
            "X-Forwarded-Proto": "https",
            "User-Agent": "Happ/3.1.0",
            "x-hwid": "CABINETTEST01",
            "x-device-os": "Android",
            "x-ver-os": "15",
            "x-device-model": "Pixel 9",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        # the panel limits devices: a refused app also gets a 200, with an empty body
        assert response.status == 200 and response.read() != b""
        assert response.headers.get("x-hwid-active") is None


def test_sign_in_buy_a_month_disconnect_a_device_and_read_every_guide(
    sandbox_page: Page, viewport: str
) -> None:
    cabinet = open_cabinet(sandbox_page)
    sign_in = cabinet.locator("#link-login").get_by_role("button", name="Sign in")
    expect(sign_in).to_be_visible(timeout=TIMEOUT_MS)
    assert "#" not in cabinet.url
    shot(cabinet, viewport, "01-sign-in")
    sign_in.click()
    expect(cabinet.get_by_role("heading", name="My subscription")).to_be_visible(timeout=TIMEOUT_MS)
    expect(cabinet.locator("main")).to_contain_text("You have no subscription yet.")
    fits_the_screen(cabinet, viewport)
    shot(cabinet, viewport, "02-no-subscription")

    # buy a month through the YooKassa emulator's payment page
    cabinet.get_by_role("link", name="Buy", exact=True).click()
    month = cabinet.locator('button[data-method="yookassa"][data-period="1m"]').first
    expect(month).to_contain_text("YooKassa")
    fits_the_screen(cabinet, viewport)
    shot(cabinet, viewport, "03-buy")
    started = datetime.now(UTC)
    month.click()
    expect(cabinet.locator("#amount")).to_have_text("199.00 RUB", timeout=TIMEOUT_MS)
    cabinet.click("#pay")
    cabinet.wait_for_url(re.compile(r"/cabinet/return$"), timeout=TIMEOUT_MS)
    expect(cabinet.locator("#order-status")).to_have_text("✅ Paid. Thank you!", timeout=TIMEOUT_MS)
    expect(cabinet.locator("#order-expiry")).to_contain_text("now valid until", timeout=TIMEOUT_MS)
    shot(cabinet, viewport, "04-paid")
    cabinet.get_by_role("link", name="Subscription", exact=True).click()
    expires = cabinet.locator("#expires").inner_text()
    shown = datetime.strptime(expires.removesuffix(" (UTC)"), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    assert timedelta(days=27) < shown - started < timedelta(days=32)
    expect(cabinet.locator("#status")).to_contain_text("active")
    qr = cabinet.get_by_role("img", name="QR code of your connection link")
    expect(qr).to_be_visible()
    assert qr.evaluate("image => image.naturalWidth") > 0

    # one more device for the subscription: an add-on, paid on the same payment page
    cabinet.get_by_role("link", name="Buy", exact=True).click()
    more = cabinet.locator('button[data-addon="device1"][data-method="yookassa"]')
    expect(more).to_contain_text("79.00")
    fits_the_screen(cabinet, viewport)
    shot(cabinet, viewport, "04a-buy-addons")
    cabinet.locator("#addons").screenshot(path=str(SCREENSHOTS / f"cabinet-{viewport}-04b-addons.png"))
    more.click()
    expect(cabinet.locator("#amount")).to_have_text("79.00 RUB", timeout=TIMEOUT_MS)
    cabinet.click("#pay")
    cabinet.wait_for_url(re.compile(r"/cabinet/return$"), timeout=TIMEOUT_MS)
    added = cabinet.locator("#order-expiry")
    expect(added).to_have_text("✅ Added to your subscription.", timeout=TIMEOUT_MS)
    cabinet.get_by_role("link", name="Subscription", exact=True).click()

    # a device connects, then the customer disconnects it
    connect_a_device(cabinet.locator("#sub-link").input_value())
    cabinet.reload()
    device = cabinet.locator("#devices li", has_text="Pixel 9")
    expect(device).to_be_visible()
    expect(cabinet.locator("#devices-title")).to_contain_text("1 of 4")  # three, and the add-on's one
    fits_the_screen(cabinet, viewport)
    shot(cabinet, viewport, "05-overview")
    device.get_by_role("button", name="Disconnect").click()
    expect(cabinet.locator(".notice")).to_have_text("✅ The device was disconnected.")
    expect(cabinet.locator("#devices")).to_contain_text("No devices are connected.")

    # every platform's guide, with one-tap import buttons
    cabinet.get_by_role("link", name="Connect", exact=True).click()
    for code, name in PLATFORMS.items():
        cabinet.get_by_role("link", name=name, exact=True).first.click()
        expect(cabinet.get_by_role("heading", level=1)).to_have_text(f"Connect on {name}")
        imports = cabinet.locator("a.primary", has_text="Add to")
        assert imports.count() >= 1
        assert all(
            not href.startswith(("http", "javascript"))
            for href in (imports.nth(i).get_attribute("href") or "" for i in range(imports.count()))
        )
        fits_the_screen(cabinet, viewport)
        if code in ("ios", "windows"):
            shot(cabinet, viewport, f"06-guide-{code}")
        cabinet.get_by_role("link", name="Connect", exact=True).click()

    cabinet.get_by_role("link", name="Account", exact=True).click()
    shot(cabinet, viewport, "07-account")
    cabinet.get_by_role("button", name="Sign out everywhere").click()
    expect(cabinet.locator(".notice")).to_contain_text("signed out on every device")
    cabinet.goto(cabinet.url.split("/cabinet/")[0] + "/cabinet/")
    expect(cabinet.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()


def test_the_mini_app_signs_the_customer_in_with_telegrams_launch_data(
    sandbox_page: Page, viewport: str
) -> None:
    """Telegram opens the Mini App with its signed launch data in the address's fragment."""
    people = sandbox_page.locator("#identities button")
    before = people.count()
    sandbox_page.select_option("#new-language", "ru")
    sandbox_page.click("#new-customer-button")
    expect(people).to_have_count(before + 1, timeout=TIMEOUT_MS)
    telegram_id = int(people.last.get_attribute("data-user-id") or "0")
    link = sandbox_page.evaluate(
        "id => fetch(`/api/identities/${id}/cabinet`, {method: 'POST', headers: {'Content-Type':"
        " 'application/json'}, body: '{}'}).then(r => r.json()).then(a => a.url)",
        telegram_id,
    )
    shop = link.split("/cabinet/")[0]
    fields = {
        "query_id": "AAHsandbox",
        "user": json.dumps({"id": telegram_id, "first_name": "Mini", "language_code": "ru"}),
        "auth_date": str(int(time.time())),
    }
    launch = quote(sign_init_data(fields, BOT_TOKEN), safe="")
    mini_app = sandbox_page.context.new_page()
    mini_app.route("https://telegram.org/**", lambda route: route.abort())  # no Telegram client here
    mini_app.goto(f"{shop}/cabinet/app#tgWebAppData={launch}&tgWebAppVersion=8.0")
    expect(mini_app.get_by_role("heading", name="Моя подписка")).to_be_visible(timeout=TIMEOUT_MS)
    fits_the_screen(mini_app, viewport)
    shot(mini_app, viewport, "08-mini-app")
    mini_app.goto(f"{shop}/cabinet/app#tgWebAppData={launch}&tgWebAppVersion=8.0")  # reloaded: still in
    expect(mini_app.get_by_role("heading", name="Моя подписка")).to_be_visible(timeout=TIMEOUT_MS)
    elsewhere = sandbox_page.context.browser.new_context()  # type: ignore[union-attr]
    replay = elsewhere.new_page()
    replay.route("https://telegram.org/**", lambda route: route.abort())
    replay.goto(f"{shop}/cabinet/app#tgWebAppData={launch}&tgWebAppVersion=8.0")  # the same data elsewhere
    expect(replay.locator("#mini-app-refused")).to_be_visible(timeout=TIMEOUT_MS)
    elsewhere.close()


def test_a_one_time_code_from_the_bot_signs_in_on_another_device(sandbox_page: Page, viewport: str) -> None:
    """The customer asks the bot for a code (in the sandbox's chat) and types it on the sign-in page."""
    chat = Chat(sandbox_page, f"cabinet-{viewport}-code")
    chat.new_customer("en")
    chat.send("/cabinet code")
    reply = chat.reply_with("Your sign-in code")
    found = re.search(
        r"Your sign-in code: (\d{4} \d{4}).*?(https?://\S+/cabinet/login)", reply.inner_text(), re.S
    )
    assert found is not None
    code, login = found.groups()
    other = sandbox_page.context.browser.new_context(viewport=VIEWPORTS[viewport])  # type: ignore[union-attr,arg-type]
    device = other.new_page()
    device.goto(login)
    device.get_by_label(re.compile("The code from the bot")).fill(code)
    fits_the_screen(device, viewport)
    shot(device, viewport, "09-sign-in-code")
    device.locator("#code-title + form").get_by_role("button", name="Sign in").click()
    expect(device.get_by_role("heading", name="My subscription")).to_be_visible(timeout=TIMEOUT_MS)
    device.goto(login)
    device.get_by_label(re.compile("The code from the bot")).fill(code)
    device.locator("#code-title + form").get_by_role("button", name="Sign in").click()
    expect(device.locator("main")).to_contain_text("This code is not valid")  # used once already
    other.close()
