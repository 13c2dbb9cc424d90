"""The payload of ``/start <payload>``: referral, promo code, gift or ad campaign."""

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
    GIFT = "gift"


GIFT_PREFIX = "gift_"
_GIFT_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,32}$")


def gift_payload(token: str) -> str:
    """The ``/start`` payload that activates the gift ``token``."""
    return GIFT_PREFIX + token


@dataclass(frozen=True)
class StartPayload:
    kind: PayloadKind
    value: str = ""
    raw: str = ""


def parse_start_payload(payload: str | None) -> StartPayload:
    """Classify a deep-link payload; anything malformed is ignored (kind NONE).

    ``ref_<code>`` is a referral, ``promo_<code>`` applies a promo code, ``gift_<token>`` activates a gift
    (the token is case-sensitive), any other short token is an ad campaign code.
    Telegram limits payloads to 64 characters of ``A-Za-z0-9_-``.
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
    if lowered.startswith(GIFT_PREFIX):
        token = payload[len(GIFT_PREFIX) :]
        return (
            StartPayload(PayloadKind.GIFT, token, payload)
            if _GIFT_TOKEN.match(token)
            else StartPayload(PayloadKind.NONE)
        )
    if len(payload) < 2:
        return StartPayload(PayloadKind.NONE)
    return StartPayload(PayloadKind.CAMPAIGN, payload, payload)
