"""In webhook mode an instance handles at most UPDATE_CONCURRENCY updates at once: a burst waits its
turn instead of starting everything together."""

from __future__ import annotations

import pytest

from remnastore.emulators.telegram import ApiCall
from tests.fixtures.shop import Shop, free_port

PORT = free_port()


@pytest.fixture
def shop_env() -> dict[str, str]:
    return {
        "WEBHOOK_BASE_URL": f"http://127.0.0.1:{PORT}",
        "WEB_PORT": str(PORT),
        "UPDATE_CONCURRENCY": "1",
    }


def overlapping(calls: list[ApiCall]) -> int:
    """How many pairs of calls (to different chats) were being answered at the same time."""
    pairs = 0
    for i, first in enumerate(calls):
        for second in calls[i + 1 :]:
            if first.chat_id != second.chat_id and first.at < second.finished and second.at < first.finished:
                pairs += 1
    return pairs


async def test_a_burst_is_handled_one_update_at_a_time(shop: Shop) -> None:
    shop.telegram.set_latency(0.05)  # every Bot API call takes a while, so concurrent ones would overlap
    users = [shop.user(6100 + n, first_name=f"B{n}") for n in range(4)]
    sent = [await user.send("/start") for user in users]
    for user, update_id in zip(users, sent, strict=True):
        await user.wait_reply(update_id, timeout=10)
    menus = [c for c in shop.telegram.calls_for("sendMessage") if c.chat_id in {u.id for u in users}]
    assert len(menus) == len(users)
    assert overlapping(menus) == 0
