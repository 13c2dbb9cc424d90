"""One-time sign-in codes: the bot gives a code, the cabinet's sign-in page takes it once; wrong, expired
and used codes are refused alike, and guessing is stopped per code and per client address."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from remnastore.db.models import CabinetToken
from remnastore.emulators.telegram import FakeUser
from tests.fixtures.cabinet import Browser
from tests.fixtures.shop import Shop

CODE_RE = re.compile(r"Your sign-in code: (\d{4}) (\d{4})")
REFUSED = "This code is not valid: it is wrong, it expired or it was already used."


@pytest.fixture
def shop_env() -> dict[str, str]:
    return {
        "CABINET_ENABLED": "true",
        "PUBLIC_URL": "https://shop.example",
        "CABINET_CODE_SIGN_IN": "true",
        "TRUSTED_PROXIES": "127.0.0.1",
    }


@pytest.fixture
async def browsers(shop: Shop) -> AsyncIterator[list[Browser]]:
    opened = [Browser(f"http://127.0.0.1:{shop.app.port}/cabinet") for _ in range(2)]
    yield opened
    for browser in opened:
        await browser.close()


async def code_from_bot(user: FakeUser) -> str:
    """The customer presses "Personal cabinet", then "Sign-in code"."""
    await user.wait_reply(await user.send("/start"))
    await user.wait_reply(await user.press("🗂 Personal cabinet"))
    reply = await user.wait_reply(await user.press("🔢 Sign-in code"))
    assert "within 5 minutes. It works once." in reply.text
    assert "https://shop.example/cabinet/login" in reply.text
    found = CODE_RE.search(reply.text)
    assert found is not None, reply.text
    return found.group(1) + found.group(2)


async def enter(browser: Browser, code: str, address: str = "198.51.100.1") -> tuple[int, str]:
    status, page, _ = await browser.post("/code", {"code": code}, headers={"X-Forwarded-For": address})
    return status, page


def wrong(code: str, n: int) -> str:
    """Another code of the same slot (the first two digits)."""
    return code[:2] + f"{(int(code[2:]) + n) % 10**6:06d}"


async def test_a_code_from_the_bot_signs_in_once(
    shop: Shop, browsers: list[Browser], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    first, second = browsers
    _, page, _ = await first.get("/login")
    assert 'name="code"' in page and 'autocomplete="one-time-code"' in page
    code = await code_from_bot(shop.user(5301, first_name="Ann", language_code="en"))
    assert await enter(first, f"{code[:4]} {code[4:]}") == (303, "")
    status, page, _ = await first.get("/")
    assert status == 200 and "My subscription" in page
    status, page = await enter(second, code)
    assert status == 403 and REFUSED in page
    assert (await second.get("/"))[0] == 303
    assert code not in caplog.text


async def test_wrong_expired_and_replaced_codes_get_the_same_refusal(
    shop: Shop, browsers: list[Browser]
) -> None:
    browser = browsers[0]
    user = shop.user(5302, language_code="en")
    expired = await code_from_bot(user)
    async with shop.db.session() as session:
        await session.execute(
            update(CabinetToken)
            .where(CabinetToken.kind == "code")
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    replaced = await code_from_bot(user)
    reply = await user.wait_reply(await user.send("/cabinet code"))  # the command gives one too
    found = CODE_RE.search(reply.text)
    assert found is not None
    current = found.group(1) + found.group(2)
    for refused in (expired, replaced, wrong(current, 1), "12ab5678", "", "1" * 9):
        status, page = await enter(browser, refused)
        assert status == 403 and REFUSED in page, refused
    assert (await enter(browser, current))[0] == 303


async def test_guessing_one_codes_slot_blocks_it(shop: Shop, browsers: list[Browser]) -> None:
    lucky = await code_from_bot(shop.user(5307, language_code="en"))
    for n in range(1, 5):  # four wrong codes are not yet too many
        assert (await enter(browsers[0], wrong(lucky, n), f"203.0.113.{n}"))[0] == 403
    assert (await enter(browsers[0], lucky, "203.0.113.98"))[0] == 303
    user = shop.user(5303, language_code="en")
    code = await code_from_bot(user)
    while code[:2] == lucky[:2]:  # a slot of its own
        code = await code_from_bot(user)
    for n in range(1, 6):  # five wrong codes from five addresses
        assert (await enter(browsers[1], wrong(code, n), f"203.0.113.{n + 10}"))[0] == 403
    status, page = await enter(browsers[1], code, "203.0.113.99")
    assert status == 403 and REFUSED in page  # the right code comes too late


async def test_one_address_guessing_is_stopped(shop: Shop, browsers: list[Browser]) -> None:
    guesser, customer = browsers
    code = await code_from_bot(shop.user(5304, language_code="en"))
    other_slot = f"{(int(code[:2]) + 1) % 100:02d}"
    for n in range(9):  # nine wrong codes, none in the customer's slot, are not yet too many
        assert (await enter(guesser, f"{other_slot}{n:06d}", "203.0.113.50"))[0] == 403
    assert (await enter(guesser, await code_from_bot(shop.user(5308)), "203.0.113.50"))[0] == 303
    assert (await enter(guesser, f"{other_slot}{9:06d}", "203.0.113.50"))[0] == 403  # the tenth
    assert (await enter(guesser, code, "203.0.113.50"))[0] == 403  # even the right one now
    assert (await enter(customer, code, "203.0.113.51"))[0] == 303  # from another address


async def test_signing_out_everywhere_voids_an_unused_code(shop: Shop, browsers: list[Browser]) -> None:
    first, second = browsers
    user = shop.user(5305, language_code="en")
    assert (await enter(first, await code_from_bot(user)))[0] == 303
    unused = await code_from_bot(user)
    assert (await first.post("/logout-everywhere", {"csrf": await first.csrf()}))[0] == 303
    assert (await enter(second, unused))[0] == 403


async def test_while_guessing_blocks_every_slot_the_bot_says_so_politely(
    shop: Shop, browsers: list[Browser]
) -> None:
    guesses = [f"{slot:02d}{n:06d}" for slot in range(100) for n in range(5)]
    for start in range(0, len(guesses), 50):  # ten wrong codes from each of fifty addresses
        batch = guesses[start : start + 50]
        results = await asyncio.gather(
            *(enter(browsers[0], code, f"192.0.2.{(start + i) // 10}") for i, code in enumerate(batch))
        )
        assert {status for status, _ in results} == {403}
    user = shop.user(5309, language_code="en")
    await user.wait_reply(await user.send("/start"))
    await user.wait_reply(await user.press("🗂 Personal cabinet"))
    alert = await user.wait_alert(await user.press("🔢 Sign-in code"))
    assert "No sign-in code can be given right now" in alert["text"]
    link = await user.wait_reply(await user.send("/cabinet"))  # the personal link still works
    assert any(b.url for row in link.buttons for b in row)


class TestWithoutCodes:
    @pytest.fixture
    def shop_env(self) -> dict[str, str]:
        return {"CABINET_ENABLED": "true", "PUBLIC_URL": "https://shop.example"}

    async def test_the_bot_gives_no_code_and_the_page_takes_none(
        self, shop: Shop, browsers: list[Browser]
    ) -> None:
        user = shop.user(5306, language_code="en")
        await user.wait_reply(await user.send("/start"))
        reply = await user.wait_reply(await user.press("🗂 Personal cabinet"))
        assert "🔢 Sign-in code" not in [b.text for row in reply.buttons for b in row]
        reply = await user.wait_reply(await user.send("/cabinet code"))
        assert "Sign-in codes are not offered in this shop" in reply.text
        _, page, _ = await browsers[0].get("/login")
        assert 'name="code"' not in page
        assert (await enter(browsers[0], "12345678"))[0] == 404
