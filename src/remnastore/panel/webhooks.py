"""Panel webhooks: the signature check over the raw body, and a tolerant parser of the payload.

The panel signs ``HMAC-SHA256(WEBHOOK_SECRET_HEADER, raw body)`` as lowercase hex in
``X-Remnawave-Signature``. The body must be verified exactly as received: re-serialising the parsed JSON
changes the bytes (spacing, escaping of non-ASCII text) and breaks the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from remnastore.infra.untrusted_json import load_untrusted
from remnastore.panel.models import HwidDevice, PanelUser, as_utc

EXPIRATION_EVENT = "user.expiration"
_EXPIRES_IN = re.compile(r"^user\.expires_in_(\d+)_hours$")
_EXPIRED_AGO = re.compile(r"^user\.expired_(\d+)_hours_ago$")
_M = TypeVar("_M", PanelUser, HwidDevice)


@dataclass(frozen=True, slots=True)
class PanelEvent:
    """One webhook delivery. ``event`` is normalised: the legacy ``user.expires_in_72_hours`` family
    becomes ``user.expiration`` with ``expiration_hours`` -72 (negative: before expiry, positive: after).
    ``dedupe_key`` is the same for repeated deliveries of one event."""

    scope: str
    event: str
    timestamp: datetime
    user: PanelUser | None
    expiration_hours: int | None
    raw: dict[str, Any]
    dedupe_key: str
    device: HwidDevice | None = None


def verify_panel_webhook(body: bytes, signature: str | None, secret: str) -> bool:
    """True when ``signature`` is the panel's HMAC of exactly these bytes (constant-time compare)."""
    if not signature or not secret:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
    try:
        given = signature.strip().lower().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected, given)


def _normalise(event: str, meta: Any) -> tuple[str, int | None]:
    if match := _EXPIRES_IN.match(event):
        return EXPIRATION_EVENT, -int(match.group(1))
    if match := _EXPIRED_AGO.match(event):
        return EXPIRATION_EVENT, int(match.group(1))
    if event == EXPIRATION_EVENT and isinstance(meta, dict):
        hours = meta.get("expiration")
        if isinstance(hours, int | float | str) and not isinstance(hours, bool):
            try:
                return event, int(hours)
            except ValueError:
                raise ValueError("panel webhook meta.expiration is not a number") from None
    return event, None


def _model(model: type[_M], data: Any, what: str) -> _M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in err["loc"]) or "<root>" for err in exc.errors())
        raise ValueError(f"panel webhook {what} is malformed (fields: {fields})") from None


def parse_panel_event(body: bytes) -> PanelEvent:
    """Parse a (verified) webhook body; raises ``ValueError`` when it is not a panel event."""
    try:
        payload = load_untrusted(body)
    except ValueError:
        raise ValueError("panel webhook body is not JSON") from None
    if not isinstance(payload, dict):
        raise ValueError("panel webhook body is not a JSON object")
    event, stamp = payload.get("event"), payload.get("timestamp")
    if not isinstance(event, str) or not event:
        raise ValueError("panel webhook has no event name")
    if not isinstance(stamp, str):
        raise ValueError("panel webhook has no timestamp")
    try:
        timestamp = as_utc(datetime.fromisoformat(stamp))
    except ValueError:
        raise ValueError("panel webhook timestamp is not an ISO datetime") from None
    scope = payload.get("scope")
    if not isinstance(scope, str) or not scope:
        scope = event.split(".", 1)[0]
    name, hours = _normalise(event, payload.get("meta"))
    data = payload.get("data")

    user: PanelUser | None = None
    device: HwidDevice | None = None
    subject = ""
    if scope == "user":
        user = _model(PanelUser, data, "user")
        subject = str(user.ref)
    elif scope == "user_hwid_devices" and isinstance(data, dict):
        if isinstance(data.get("user"), dict):
            user = _model(PanelUser, data["user"], "user")
        if isinstance(data.get("hwidUserDevice"), dict):
            device = _model(HwidDevice, data["hwidUserDevice"], "device")
        subject = "/".join(str(part) for part in (user.ref if user else "", device.hwid if device else ""))
    elif isinstance(data, dict):
        subject = str(data.get("id") or data.get("uuid") or "")
    return PanelEvent(
        scope=scope,
        event=name,
        timestamp=timestamp,
        user=user,
        expiration_hours=hours,
        raw=payload,
        dedupe_key=f"{name}:{subject}:{stamp}",
        device=device,
    )
