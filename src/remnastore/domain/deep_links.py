"""The payload of ``/start <payload>``: referral, promo code or ad campaign."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class PayloadKind(StrEnum):
    NONE = "none"
    REFERRAL = "referral"
    PROMO = "promo"
    CAMPAIGN = "campaign"


@dataclass(frozen=True)
class StartPayload:
    kind: PayloadKind
    value: str = ""
    raw: str = ""


def parse_start_payload(payload: str | None) -> StartPayload:
    """Classify a deep-link payload; anything malformed is ignored (kind NONE).

    ``ref_<code>`` is a referral, ``promo_<code>`` applies a promo code, any other short token is an ad
    campaign code. Telegram limits payloads to 64 characters of ``A-Za-z0-9_-``.
    """
    if not payload:
        return StartPayload(PayloadKind.NONE)
    payload = payload.strip()
    if not _TOKEN.match(payload):
        return StartPayload(PayloadKind.NONE)
    lowered = payload.lower()
    if lowered.startswith("ref_"):
        code = payload[4:]
        return (
            StartPayload(PayloadKind.REFERRAL, code.upper(), payload)
            if code
            else StartPayload(PayloadKind.NONE)
        )
    if lowered.startswith("promo_"):
        code = payload[6:]
        return (
            StartPayload(PayloadKind.PROMO, code.upper(), payload) if code else StartPayload(PayloadKind.NONE)
        )
    if len(payload) < 2:
        return StartPayload(PayloadKind.NONE)
    return StartPayload(PayloadKind.CAMPAIGN, payload, payload)
