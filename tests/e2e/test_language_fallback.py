"""Which language a new customer is greeted in: Russian for the Russian family, English for every other
language, unless the seller sets DEFAULT_LANGUAGE=ru (as the README says)."""

from __future__ import annotations

import pytest

from tests.fixtures.shop import Shop

RUSSIAN = "Добро пожаловать"
ENGLISH = "Welcome"


@pytest.mark.parametrize(
    ("shop_env", "telegram_language", "greeting"),
    [
        ({"DEFAULT_LANGUAGE": "en"}, "de", ENGLISH),
        ({"DEFAULT_LANGUAGE": "en"}, "uk", RUSSIAN),
        ({"DEFAULT_LANGUAGE": "en"}, "kk-KZ", RUSSIAN),
        ({"DEFAULT_LANGUAGE": "ru"}, "de", RUSSIAN),
        ({"DEFAULT_LANGUAGE": "ru"}, "en-GB", ENGLISH),
    ],
)
async def test_a_new_customer_is_greeted_in_the_documented_language(
    shop: Shop, telegram_language: str, greeting: str
) -> None:
    customer = shop.user(7601, first_name="Kim", language_code=telegram_language)
    reply = await customer.wait_reply(await customer.send("/start"))
    assert greeting in reply.text, reply.text
