"""The Telegram update path against hostile customers (Hypothesis), through the running shop.

A customer may be called anything Telegram allows (1 to 64 characters: right-to-left marks, zero-width
characters, text that looks like HTML, emoji, combining marks) and may send any text up to 4,096
characters, any ``/start`` payload and any callback data. Whatever arrives, the shop answers politely or
stays silent: no handler fails, no call to Telegram is refused (a name echoed unescaped into HTML would be),
and the customer is served at once afterwards.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.fixtures.shop import Shop

SHARED = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
_ids = itertools.count(7_100_000)

HOSTILE_PIECES = [
    "\u202e",  # right-to-left override
    "\u200f",
    "\u200b",  # zero-width space
    "\u2060",
    "\ufeff",
    "<b>",
    "</i>",
    "<a href='x'>",
    "&amp;",
    "&",
    "<",
    ">",
    "{ $name }",
    "%s",
    "{0}",
    "\U0001f600",
    "\U0001f1f7\U0001f1fa",
    "\u0301\u0301\u0301",
    "/start",
    "@",
    "#",
    "\\",
    '"',
    "'",
    "\n",
    "\t",
]
hostile_text = st.lists(
    st.sampled_from(HOSTILE_PIECES) | st.text(min_size=1, max_size=8), min_size=1, max_size=40
).map("".join)
names = (hostile_text | st.text(min_size=1, max_size=64)).map(lambda text: text[:64]).filter(str.strip)
texts = st.one_of(
    hostile_text,
    st.text(min_size=1, max_size=300),
    st.lists(st.sampled_from(HOSTILE_PIECES), min_size=400, max_size=1200).map(lambda p: "".join(p)[:4096]),
).filter(str.strip)
actions = st.one_of(
    st.tuples(st.just("text"), texts),
    st.tuples(
        st.just("start"), st.text(max_size=80) | st.from_regex(r"(ref|promo|gift)_[A-Za-z0-9_-]{0,60}")
    ),
    st.tuples(
        st.just("button"), st.text(max_size=64) | st.from_regex(r"(bt|bp|bm|co|ta|gm|a[a-z]{0,3}):.{0,40}")
    ),
)


def _failures(shop: Shop, user_id: int) -> list[str]:
    refused = [f"{c.method}: {c.error}" for c in shop.telegram.calls if c.chat_id == user_id and not c.ok]
    return refused + list(shop.telegram.internal_errors)


def _handler_errors(shop: Shop) -> float:
    total = 0.0
    for metric in shop.app.metrics.registry.collect():
        if metric.name == "remnastore_handler_errors":
            total += sum(sample.value for sample in metric.samples if sample.name.endswith("_total"))
    return total


@SHARED
@example(name="Eve\x00", language="en", action=("text", "hi"))  # PostgreSQL cannot store NUL in text
@example(name="<b>\u202eadmin", language="ar", action=("start", "ref_<script>"))
@given(
    name=names,
    language=st.sampled_from(["en", "ru", "ar", "zh-hans", None]),
    action=actions,
)
async def test_hostile_names_and_texts_get_a_polite_reply_or_silence(
    shop: Shop, name: str, language: str | None, action: tuple[str, str]
) -> None:
    user_id = next(_ids)
    errors_before = _handler_errors(shop)
    user = shop.user(user_id, first_name=name, language_code=language)
    kind, value = action
    if kind == "text":
        await user.send(value)
    elif kind == "start":
        await user.send(f"/start {value}".strip())
    else:
        await user.press_data(value)
    # served at once afterwards (updates of one customer are handled in order)
    reply = await user.wait_reply(await user.send("/menu"), timeout=10)
    assert reply.text
    assert _failures(shop, user_id) == []
    assert _handler_errors(shop) == errors_before
