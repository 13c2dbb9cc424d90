"""Deep-link payloads (``/start <payload>``) are outside input: any text is classified quickly, and only a
well-formed token of Telegram's alphabet is ever taken for a referral, promo, gift or campaign."""

from __future__ import annotations

import re
import time

from hypothesis import given
from hypothesis import strategies as st

from remnastore.domain.deep_links import PayloadKind, StartPayload, parse_start_payload

TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
TIME_BOUND = 0.05  # seconds; a regular expression of bounded input, far below it

hostile = st.one_of(
    st.none(),
    st.text(max_size=300),
    st.text(alphabet="ref_promo_gift_-AZaz09 \u200b\u202e\u0000", max_size=80),
    st.sampled_from(["ref_", "promo_", "gift_", "gift_" + "A" * 7]).flatmap(
        lambda prefix: st.text(max_size=70).map(lambda tail: prefix + tail)
    ),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=5000),
)


def _timed(payload: str | None) -> StartPayload:
    started = time.perf_counter()
    parsed = parse_start_payload(payload)
    assert time.perf_counter() - started < TIME_BOUND
    return parsed


@given(hostile)
def test_any_payload_is_classified_quickly_and_only_tokens_count(payload: str | None) -> None:
    parsed = _timed(payload)
    assert parsed.kind in set(PayloadKind)
    if parsed.kind is PayloadKind.NONE:
        return
    assert payload is not None and TOKEN.match(payload.strip())
    assert parsed.value and TOKEN.match(parsed.value)
    assert parsed.raw == payload.strip()


@given(st.from_regex(TOKEN, fullmatch=True))
def test_every_token_is_understood_the_same_way_twice(payload: str) -> None:
    first, second = _timed(payload), _timed(payload)
    assert first == second
    lowered = payload.lower()
    if lowered.startswith("ref_") and len(payload) > 4:
        assert (first.kind, first.value) == (PayloadKind.REFERRAL, payload[4:].upper())
    elif lowered.startswith("promo_") and len(payload) > 6:
        assert (first.kind, first.value) == (PayloadKind.PROMO, payload[6:].upper())
