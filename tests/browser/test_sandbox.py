"""The sandbox page in a real browser: headless Chromium (the system's package) driven by Playwright.

`python -m remnastore sandbox` runs as a separate process, exactly as a seller starts it; the tests click
through the page like a person would. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from remnastore.domain.money import Money
from tests.fixtures.shop import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
#: how the admin opens the statistics screen (a command, then buttons, in order)
ADMIN_STATS_STEPS: tuple[str, ...] = ("/admin", "Statistics")
TIMEOUT_MS = 15_000
MENU = "What would you like to do?"


def page_now() -> datetime:
    """Now, as the page's panel view states times (UTC, without a zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture(scope="module")
def sandbox_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("sandbox")
    port = free_port()
    src = str(ROOT / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    log = (data_dir / "sandbox.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "remnastore", "sandbox", "--port", str(port), "--data-dir", str(data_dir)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=data_dir,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        started = time.monotonic()
        while True:
            assert process.poll() is None, (data_dir / "sandbox.log").read_text()
            try:
                with urllib.request.urlopen(f"{url}api/identities", timeout=2):  # noqa: S310 - local URL
                    break
            except OSError:
                assert time.monotonic() - started < 30, "the sandbox did not come up within 30 seconds"
                time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(timeout=20) == 0, (data_dir / "sandbox.log").read_text()
        finally:
            if process.poll() is None:
                process.kill()
            log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, sandbox_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(sandbox_url)
    expect(opened.locator("body")).to_have_attribute("data-ready", "true", timeout=TIMEOUT_MS)
    yield opened
    context.close()
    assert not errors, errors


class Chat:
    """The page's chat, operated like a person would."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.name = name
        self.shots = 0
        self.sent: str | None = None

    def screenshot(self, label: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        self.page.screenshot(path=str(SCREENSHOTS / f"{self.name}-{self.shots:02d}-{label}.png"))

    def new_customer(self, language: str = "en") -> int:
        people = self.page.locator("#identities button")
        before = people.count()
        self.page.select_option("#new-language", language)
        self.page.click("#new-customer-button")
        expect(people).to_have_count(before + 1, timeout=TIMEOUT_MS)
        expect(people.last).to_have_class("active")
        expect(people.last).to_contain_text(f"customer · {language}")
        return int(people.last.get_attribute("data-user-id") or "0")

    def become(self, name: str) -> None:
        self.page.locator("#identities button", has_text=name).first.click()
        expect(self.page.locator("#identities button.active")).to_contain_text(name)

    def send(self, text: str) -> None:
        mine = self.page.locator(".message.user")
        before = mine.count()
        self.page.fill("#input", text)
        self.page.click("#send")
        expect(mine).to_have_count(before + 1, timeout=TIMEOUT_MS)
        expect(mine.last).to_have_text(re.compile(re.escape(text)))
        self.sent = mine.last.get_attribute("data-message-id")

    @property
    def replies(self) -> Locator:
        """The bot's messages after the last message sent from the page."""
        assert self.sent is not None, "nothing was sent yet"
        return self.page.locator(f'.message[data-message-id="{self.sent}"] ~ .message.bot')

    @property
    def last_reply(self) -> Locator:
        return self.replies.last

    def reply_with(self, text: str | re.Pattern[str]) -> Locator:
        """The newest bot message since the last sent one whose text contains `text` (waiting for it).

        Only the message's own text counts, never its buttons: a menu with a "Statistics" button is not
        the statistics screen.
        """
        found = self.replies.filter(has=self.page.locator(".text", has_text=text)).last
        expect(found).to_be_visible(timeout=TIMEOUT_MS)
        return found

    def press(self, label: str, message: Locator | None = None) -> None:
        button = (message or self.last_reply).locator(".inline-keyboard button", has_text=label).first
        expect(button).to_be_visible(timeout=TIMEOUT_MS)
        button.click()

    def panel_expiry(self, telegram_id: int) -> datetime:
        cell = self.page.locator(f'#panel-users tr[data-telegram-id="{telegram_id}"] td.expire')
        expect(cell).to_have_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"), timeout=TIMEOUT_MS)
        return datetime.strptime(cell.inner_text().strip(), "%Y-%m-%d %H:%M UTC")


def buy_standard_month(chat: Chat, method: str) -> Locator:
    chat.send("/start")
    chat.press("Buy subscription", chat.reply_with(MENU))
    chat.press("Standard")
    chat.press("1 month")
    chat.press(method)
    return chat.reply_with("Order")


def test_a_customer_takes_the_trial_then_buys_with_yookassa_and_the_panel_shows_the_new_expiry(
    page: Page, sandbox_url: str
) -> None:
    chat = Chat(page, "customer")
    customer = chat.new_customer("en")
    chat.send("/start")
    welcome = chat.reply_with("Welcome")
    expect(welcome.locator(".text b").first).to_be_visible()  # Telegram HTML rendered, not shown as tags
    chat.screenshot("start")

    chat.press("Free trial", welcome)
    chat.reply_with("Your free trial is active")
    trial_expiry = chat.panel_expiry(customer)
    assert abs(trial_expiry - (page_now() + timedelta(days=3))) < timedelta(minutes=5)
    chat.screenshot("trial")

    chat.send("/start")
    chat.press("My subscription", chat.reply_with(MENU))
    chat.press("QR code", chat.reply_with("Valid until"))
    qr = page.locator(".message.bot img").last
    expect(qr).to_be_visible(timeout=TIMEOUT_MS)
    assert qr.evaluate("image => image.naturalWidth") > 0

    order = buy_standard_month(chat, "YooKassa")
    pay = order.locator(".inline-keyboard button", has_text="💳 Pay")
    with page.context.expect_page() as opened:
        pay.click()
    checkout = opened.value
    checkout.wait_for_load_state()
    expect(checkout.locator("#amount")).to_have_text("199.00 RUB")
    checkout.screenshot(path=str(SCREENSHOTS / "customer-yookassa-checkout.png"))
    checkout.click("#pay")
    checkout.wait_for_url(sandbox_url, timeout=TIMEOUT_MS)  # YooKassa sends the payer back to the shop
    checkout.close()

    chat.reply_with("Payment received")
    expect(page.locator(f'#panel-users tr[data-telegram-id="{customer}"] td.expire')).not_to_have_text(
        trial_expiry.strftime("%Y-%m-%d %H:%M UTC"), timeout=TIMEOUT_MS
    )
    paid_expiry = chat.panel_expiry(customer)
    assert timedelta(days=27) < paid_expiry - trial_expiry < timedelta(days=32)
    chat.screenshot("paid")


def test_a_stars_purchase_shows_up_for_the_admin(page: Page) -> None:
    chat = Chat(page, "admin")
    customer = chat.new_customer("en")
    order = buy_standard_month(chat, "Telegram Stars")
    order.locator(".inline-keyboard button", has_text="💳 Pay").click()
    dialog = page.locator("#invoice-dialog")
    expect(dialog).to_contain_text("150")
    chat.screenshot("stars-invoice")
    page.click("#invoice-pay")
    chat.reply_with("Payment received")
    chat.panel_expiry(customer)

    chat.become("Admin")
    chat.send(ADMIN_STATS_STEPS[0])
    for label in ADMIN_STATS_STEPS[1:]:
        chat.press(label)
    # the statistics screen's own content, with this purchase in it (the menu only has a button)
    stars = re.escape(Money(150, "XTR").format("en"))
    screen = chat.reply_with(re.compile(rf"^Telegram Stars: {stars} · {stars} · {stars} · {stars}$", re.M))
    # (the sandbox is shared by this module's tests: the other one buys the same tariff with YooKassa)
    expect(screen.locator(".text")).to_contain_text(re.compile(r"^Standard: [1-9]\d*$", re.M))
    chat.screenshot("admin-screen")

    chat.send("/orders")
    chat.press("Export CSV", chat.reply_with("Orders"))
    document = page.locator(".message.bot .document a").last
    expect(document).to_have_text(re.compile(r"orders-.*\.csv"), timeout=TIMEOUT_MS)
    with page.expect_download() as download:
        document.click()
    csv = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "XTR" in csv and "150" in csv
    chat.screenshot("admin-csv")


def test_telegram_formatting_is_built_from_entities_and_never_runs_markup(page: Page) -> None:
    chat = Chat(page, "formatting")
    chat.new_customer("en")
    chat.send('<img src=x onerror="document.title=1"> <b>not bold</b>')
    mine = page.locator(".message.user").last
    expect(mine.locator("img, b")).to_have_count(0)  # what a person types stays text

    text = "bold italic code link bad spoiler quote"
    entities = [
        {"type": "bold", "offset": 0, "length": 11},
        {"type": "italic", "offset": 5, "length": 6},
        {"type": "code", "offset": 12, "length": 4},
        {"type": "text_link", "offset": 17, "length": 4, "url": "https://example.com/a"},
        {"type": "text_link", "offset": 22, "length": 3, "url": "javascript:document.title=2"},
        {"type": "spoiler", "offset": 26, "length": 7},
        {"type": "blockquote", "offset": 34, "length": 5},
    ]
    html = page.evaluate(
        """([text, entities]) => {
            const box = document.createElement("div");
            box.appendChild(window.renderFormatted(text, entities));
            return box.innerHTML;
        }""",
        [text, entities],
    )
    assert html.startswith("<b>bold <i>italic</i></b> <code>code</code> ")
    assert '<a href="https://example.com/a" target="_blank" rel="noopener noreferrer">link</a>' in html
    assert "javascript" not in html and "<span>bad</span>" in html
    assert '<span class="spoiler">spoiler</span>' in html and html.endswith("<blockquote>quote</blockquote>")
    assert page.title() == "remnastore sandbox"


def test_the_tab_yookassa_sends_back_shows_the_payer_and_i_have_paid_tells_the_decline(
    page: Page, sandbox_url: str
) -> None:
    chat = Chat(page, "return")
    chat.new_customer("en")
    payer = chat.new_customer("en")  # not the first customer, whom a fresh page would show
    order = buy_standard_month(chat, "YooKassa")
    with page.context.expect_page() as opened:
        order.locator(".inline-keyboard button", has_text="💳 Pay").click()
    checkout = opened.value
    checkout.wait_for_load_state()
    checkout.click("#decline")
    checkout.wait_for_url(sandbox_url, timeout=TIMEOUT_MS)
    expect(checkout.locator("body")).to_have_attribute("data-ready", "true", timeout=TIMEOUT_MS)
    active = checkout.locator("#identities button.active")
    expect(active).to_have_attribute("data-user-id", str(payer), timeout=TIMEOUT_MS)
    expect(checkout.locator("#chat-identity")).to_contain_text(str(payer))
    returned = Chat(checkout, "return-tab")
    returned.press("I have paid", checkout.locator(".message.bot").filter(has_text="Order").last)
    expect(checkout.locator("#toast")).to_contain_text("declined or cancelled", timeout=TIMEOUT_MS)
    returned.screenshot("declined")
    checkout.close()


def test_the_qr_photo_is_shown_whole_once_loaded(browser: Browser, sandbox_url: str) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 640})
    try:
        page = context.new_page()
        page.goto(sandbox_url)
        expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=TIMEOUT_MS)
        chat = Chat(page, "qr")
        chat.new_customer("en")
        chat.send("/start")
        chat.press("Free trial", chat.reply_with("Welcome"))
        chat.reply_with("Your free trial is active")
        chat.send("/start")
        chat.press("My subscription", chat.reply_with(MENU))
        chat.press("QR code", chat.reply_with("Valid until"))
        qr = page.locator(".message.bot img").last
        expect(qr).to_be_visible(timeout=TIMEOUT_MS)
        page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=qr.element_handle())
        page.wait_for_function(
            """() => {
                const box = document.querySelector("#messages");
                return box.scrollHeight - box.scrollTop - box.clientHeight < 2;
            }""",
            timeout=TIMEOUT_MS,
        )
        photo, frame = qr.bounding_box(), page.locator("#messages").bounding_box()
        assert photo is not None and frame is not None
        assert frame["y"] <= photo["y"] and photo["y"] + photo["height"] <= frame["y"] + frame["height"]
        chat.screenshot("qr")
    finally:
        context.close()


@pytest.mark.parametrize("width", [800])
def test_a_small_window_needs_no_sideways_scrolling(browser: Browser, sandbox_url: str, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 700})
    try:
        page = context.new_page()
        page.goto(sandbox_url)
        expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=TIMEOUT_MS)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        for part in ("#chat", "#panel", "#composer"):
            box = page.locator(part).bounding_box()
            assert box is not None and box["x"] + box["width"] <= width, (part, box)
    finally:
        context.close()


def test_the_page_fits_a_phone_screen(browser: Browser, sandbox_url: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(sandbox_url)
        expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=TIMEOUT_MS)
        chat = Chat(page, "phone")
        chat.new_customer("en")
        chat.send("/start")
        menu = chat.reply_with(MENU)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing sideways
        for part in ("#chat", "#composer", "#input"):
            box = page.locator(part).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, (part, box)
        chat_box = page.locator("#chat").bounding_box()
        assert chat_box is not None and chat_box["width"] >= 340
        first = menu.locator(".inline-keyboard button").first.bounding_box()
        assert first is not None and first["x"] + first["width"] <= 360
        chat.press("Buy subscription", menu)
        chat.reply_with("Standard")
        chat.screenshot("menu")
    finally:
        context.close()


def test_emoji_are_drawn_in_colour_not_as_empty_boxes(page: Page) -> None:
    """The bot's texts are full of emoji; without an emoji font Chromium draws them as empty boxes."""
    coloured = page.evaluate(
        """() => {
            const canvas = document.createElement("canvas");
            canvas.width = canvas.height = 48;
            const context = canvas.getContext("2d");
            context.font = `40px ${getComputedStyle(document.body).fontFamily}`;
            context.fillStyle = "#000";
            context.textBaseline = "top";
            context.fillText("🚀", 2, 2);
            const pixels = context.getImageData(0, 0, 48, 48).data;
            let count = 0;
            for (let i = 0; i < pixels.length; i += 4) {
                const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
                if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 60) count += 1;
            }
            return count;
        }"""
    )
    assert coloured > 50, "the emoji was not drawn in colour: is fonts-noto-color-emoji installed?"
    chat = Chat(page, "emoji")
    chat.new_customer("en")
    chat.send("/start")
    chat.reply_with(MENU)
    chat.screenshot("emoji")
