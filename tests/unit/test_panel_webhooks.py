"""Panel webhook signature and parsing, on bytes serialised exactly as the panel (emulator) sends them."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from remnastore.emulators.panel import PanelEmulator, sign_webhook
from remnastore.panel import parse_panel_event, verify_panel_webhook

SECRET = "k" * 32 + "0123456789abcdefABCDEF0123456789"


def _emulator_with_user(api_version: int = 3, **fields: Any) -> tuple[PanelEmulator, dict[str, Any]]:
    emulator = PanelEmulator(api_version=api_version)
    user = emulator.add_user(username="tg_42", telegramId=42, **fields)
    return emulator, user


def test_signature_of_the_exact_body_verifies() -> None:
    emulator, user = _emulator_with_user()
    body = emulator.webhook_body("user.created", user["id"])
    signature = sign_webhook(body, SECRET)
    assert signature == hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert verify_panel_webhook(body, signature, SECRET)
    assert verify_panel_webhook(body, signature.upper(), SECRET)  # hex case does not matter


def test_wrong_signatures_are_rejected() -> None:
    emulator, user = _emulator_with_user()
    body = emulator.webhook_body("user.modified", user["id"])
    signature = sign_webhook(body, SECRET)
    assert not verify_panel_webhook(body.replace(b"tg_42", b"tg_43"), signature, SECRET)
    assert not verify_panel_webhook(body, signature, SECRET + "x")
    flipped = signature[:-1] + ("1" if signature[-1] == "0" else "0")
    assert not verify_panel_webhook(body, flipped, SECRET)
    assert not verify_panel_webhook(body, None, SECRET)
    assert not verify_panel_webhook(body, "", SECRET)
    assert not verify_panel_webhook(body, "подпись", SECRET)
    assert not verify_panel_webhook(body, signature, "")


def test_non_ascii_body_is_signed_raw_and_must_not_be_re_serialised() -> None:
    emulator, user = _emulator_with_user(description="Привет, мир 🌍")
    body = emulator.webhook_body("user.modified", user["id"])
    assert "Привет, мир 🌍".encode() in body  # raw UTF-8, like JSON.stringify
    assert b" " not in body.split(b'"description"')[0]  # compact: no spaces after separators
    signature = sign_webhook(body, SECRET)
    assert verify_panel_webhook(body, signature, SECRET)
    ascii_copy = json.dumps(json.loads(body), separators=(",", ":")).encode()  # \\u escapes
    assert ascii_copy != body and not verify_panel_webhook(ascii_copy, signature, SECRET)
    event = parse_panel_event(body)
    assert event.user is not None and event.user.description == "Привет, мир 🌍"


def test_user_event_is_parsed_with_a_stable_dedupe_key() -> None:
    emulator, user = _emulator_with_user(trafficLimitBytes=5 * 1024**3)
    emulator.set_used_traffic(user["id"], 1024)
    stamp = datetime(2026, 12, 24, 0, 36, 51, 123000, tzinfo=UTC)
    body = emulator.webhook_body("user.created", user["id"], timestamp=stamp)
    event = parse_panel_event(body)
    assert (event.scope, event.event, event.timestamp) == ("user", "user.created", stamp)
    assert event.user is not None and event.user.id == user["id"] and event.user.telegram_id == 42
    assert event.user.used_traffic_bytes == 1024 and event.user.traffic_limit_bytes == 5 * 1024**3
    assert event.expiration_hours is None and event.raw["meta"] is None
    assert event.dedupe_key == f"user.created:{user['id']}:2026-12-24T00:36:51.123Z"
    assert parse_panel_event(body).dedupe_key == event.dedupe_key  # a retried delivery


@pytest.mark.parametrize(
    ("event", "meta", "hours"),
    [
        ("user.expiration", {"expiration": -72}, -72),
        ("user.expiration", {"expiration": 24}, 24),
        ("user.expires_in_72_hours", None, -72),
        ("user.expires_in_48_hours", None, -48),
        ("user.expires_in_24_hours", None, -24),
        ("user.expired_24_hours_ago", None, 24),
    ],
)
def test_expiration_events_old_and_new_are_normalised(
    event: str, meta: dict[str, int] | None, hours: int
) -> None:
    emulator, user = _emulator_with_user()
    parsed = parse_panel_event(emulator.webhook_body(event, user["id"], meta=meta))
    assert parsed.event == "user.expiration" and parsed.expiration_hours == hours
    assert parsed.dedupe_key.startswith(f"user.expiration:{user['id']}:")


def test_device_and_service_events() -> None:
    emulator, user = _emulator_with_user()
    emulator.add_device(user["id"], "HWIDPHONE0001", platform="iOS")
    device_event = parse_panel_event(
        emulator.webhook_body("user_hwid_devices.added", user["id"], hwid="HWIDPHONE0001")
    )
    assert device_event.scope == "user_hwid_devices" and "meta" not in device_event.raw
    assert device_event.device is not None and device_event.device.platform == "iOS"
    assert device_event.user is not None and device_event.user.username == "tg_42"
    service = parse_panel_event(emulator.webhook_body("service.panel_started"))
    assert service.scope == "service" and service.user is None
    assert service.raw["data"] == {"panelVersion": "3.3.2"}
    unknown = parse_panel_event(emulator.webhook_body("node.connection_lost", meta={"id": 7}))
    assert unknown.event == "node.connection_lost" and unknown.dedupe_key.startswith(
        "node.connection_lost:7:"
    )


def test_legacy_user_shape_with_uuid_and_top_level_traffic() -> None:
    emulator, user = _emulator_with_user(api_version=2)
    payload = json.loads(emulator.webhook_body("user.expires_in_24_hours", user["uuid"]))
    traffic = payload["data"].pop("userTraffic")
    payload["data"]["usedTrafficBytes"] = 777
    payload["data"]["onlineAt"] = traffic["onlineAt"]
    event = parse_panel_event(json.dumps(payload).encode())
    assert event.user is not None and event.user.ref == user["uuid"] and event.user.id is None
    assert event.user.used_traffic_bytes == 777 and event.expiration_hours == -24


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "is not JSON$"),
        (b"not json", "is not JSON$"),
        (b"\xff\xfe", "is not JSON$"),
        (b"[1, 2]", "is not a JSON object"),
        (b'{"timestamp": "2026-01-01T00:00:00.000Z"}', "has no event name"),
        (b'{"event": "user.created"}', "has no timestamp"),
        (
            b'{"event": "user.created", "timestamp": "yesterday", "data": {}}',
            "timestamp is not an ISO datetime",
        ),
        (
            b'{"scope": "user", "event": "user.created", "timestamp": "2026-01-01T00:00:00Z", '
            b'"data": {"id": 1}}',
            r"user is malformed \(fields: username",
        ),
        (
            b'{"scope": "user", "event": "user.created", "timestamp": "2026-01-01T00:00:00Z", "data": null}',
            r"user is malformed \(fields: <root>\)",
        ),
        (
            b'{"event": "user.expiration", "timestamp": "2026-01-01T00:00:00Z", "meta": {"expiration": "x"}}',
            "meta.expiration is not a number",
        ),
    ],
)
def test_malformed_bodies_raise_value_error(body: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_panel_event(body)


async def test_send_webhook_delivers_what_the_panel_sends() -> None:
    received: list[tuple[bytes, dict[str, str]]] = []

    async def receiver(request: web.Request) -> web.Response:
        received.append((await request.read(), dict(request.headers)))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/webhooks/panel", receiver)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        emulator, user = _emulator_with_user(description="Ёлка")
        status = await emulator.send_webhook(
            f"http://{host}:{port}/webhooks/panel",
            "user.expiration",
            user["id"],
            secret=SECRET,
            meta={"expiration": -48},
        )
    finally:
        await runner.cleanup()
    assert status == 200 and len(received) == 1
    body, headers = received[0]
    assert headers["User-Agent"] == "Remnawave" and headers["Content-Type"] == "application/json"
    assert verify_panel_webhook(body, headers["X-Remnawave-Signature"], SECRET)
    event = parse_panel_event(body)
    assert headers["X-Remnawave-Timestamp"] == event.raw["timestamp"]
    assert event.expiration_hours == -48 and event.user is not None and event.user.description == "Ёлка"
