"""Panel webhooks are outside input until their signature is checked (Hypothesis).

The body parser answers any bytes with a panel event or ``ValueError`` within a small time bound; the
signature check accepts nothing but the panel's HMAC of exactly the bytes received, so a changed body or
signature never verifies; and a signed body that only looks like an event is still refused cleanly.
"""

from __future__ import annotations

import json
import time

from hypothesis import given
from hypothesis import strategies as st

from remnastore.emulators.panel import PanelEmulator, sign_webhook
from remnastore.panel import parse_panel_event, verify_panel_webhook
from remnastore.panel.webhooks import PanelEvent

SECRET = "k" * 32 + "0123456789abcdefABCDEF0123456789"
TIME_BOUND = 0.2

_emulator = PanelEmulator(api_version=3)
_user = _emulator.add_user(username="tg_42", telegramId=42)
GENUINE = [
    _emulator.webhook_body(event, _user["id"])
    for event in ("user.created", "user.modified", "user.expires_in_24_hours", "user.expired")
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)
event_like = st.fixed_dictionaries(
    {
        "scope": st.sampled_from(["user", "user_hwid_devices", "node", "x"]),
        "event": st.text(max_size=30) | st.sampled_from(["user.expired", "user.expires_in_24_hours"]),
        "timestamp": st.text(max_size=30) | st.datetimes().map(lambda moment: moment.isoformat()),
        "data": json_values,
    },
    optional={"meta": json_values},
)
bodies = st.one_of(
    st.binary(max_size=4096),
    json_values.map(lambda value: json.dumps(value).encode()),
    event_like.map(lambda value: json.dumps(value).encode()),
    st.sampled_from(
        [b"[" * 200_000, b'{"a":' * 20_000, b'{"event": "user.expired", "timestamp": "' + b"9" * 9999]
    ),
)


def _parse(body: bytes) -> PanelEvent | None:
    started = time.perf_counter()
    try:
        event: PanelEvent | None = parse_panel_event(body)
    except ValueError:
        event = None
    assert time.perf_counter() - started < TIME_BOUND
    return event


@given(bodies)
def test_any_body_is_an_event_or_a_clean_refusal_quickly(body: bytes) -> None:
    event = _parse(body)
    assert event is None or isinstance(event, PanelEvent)


@given(st.sampled_from(GENUINE), st.data())
def test_a_changed_body_or_signature_never_verifies(body: bytes, data: st.DataObject) -> None:
    signature = sign_webhook(body, SECRET)
    assert verify_panel_webhook(body, signature, SECRET)
    position = data.draw(st.integers(0, len(body) - 1))
    changed = body[:position] + data.draw(st.binary(min_size=1, max_size=8)) + body[position + 1 :]
    if changed != body:
        assert not verify_panel_webhook(changed, signature, SECRET)
    forged = data.draw(st.text(max_size=80))
    if forged.strip().lower() != signature:
        assert not verify_panel_webhook(body, forged, SECRET)


@given(event_like)
def test_a_signed_body_that_only_looks_like_an_event_is_refused_cleanly(value: dict[str, object]) -> None:
    body = json.dumps(value).encode()
    assert verify_panel_webhook(body, sign_webhook(body, SECRET), SECRET)
    _parse(body)
