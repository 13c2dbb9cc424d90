"""Users and HWID devices of the panel emulator: how they are stored and how the panel shows them."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid as uuid_lib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from remnastore.emulators.panel_rules import iso, now, parse_datetime

_DATETIME_FIELDS = ("expireAt", "createdAt", "onlineAt", "firstConnectedAt", "lastTrafficResetAt")
_PLAIN_FIELDS = [
    "shortUuid",
    "username",
    "status",
    "trafficLimitBytes",
    "trafficLimitStrategy",
    "expireAt",
    "telegramId",
    "email",
    "description",
    "tag",
    "hwidDeviceLimit",
    "externalSquadUuid",
    "trojanPassword",
    "vlessUuid",
    "ssPassword",
    "lastTriggeredThreshold",
    "subRevokedAt",
]


def new_password() -> str:
    return secrets.token_urlsafe(18)[:24]


def new_user(user_id: int, short_uuid: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """A stored user (camelCase keys, datetimes as ``datetime``) with the panel's defaults."""
    current = now()
    record: dict[str, Any] = {
        "id": user_id,
        "uuid": str(uuid_lib.uuid4()),
        "shortUuid": short_uuid,
        "username": f"user{user_id}",
        "status": "ACTIVE",
        "trafficLimitBytes": 0,
        "trafficLimitStrategy": "NO_RESET",
        "expireAt": current + timedelta(days=30),
        "telegramId": None,
        "email": None,
        "description": None,
        "tag": None,
        "hwidDeviceLimit": None,
        "externalSquadUuid": None,
        "trojanPassword": new_password(),
        "vlessUuid": str(uuid_lib.uuid4()),
        "ssPassword": new_password(),
        "lastTriggeredThreshold": 0,
        "subRevokedAt": None,
        "lastTrafficResetAt": None,
        "createdAt": current,
        "updatedAt": current,
        "activeInternalSquads": [],
        "usedTrafficBytes": 0,
        "lifetimeUsedTrafficBytes": 0,
        "onlineAt": None,
        "firstConnectedAt": None,
        "devices": [],
    }
    for key, value in values.items():
        if key not in record or key in ("id", "devices"):
            raise KeyError(f"unknown user field {key!r}")
        record[key] = value
    for key in _DATETIME_FIELDS:
        if isinstance(record[key], str):
            record[key] = parse_datetime(record[key])
    return record


def new_device(
    record: Mapping[str, Any],
    hwid: str,
    platform: str | None,
    os_version: str | None,
    device_model: str | None,
    user_agent: str | None,
) -> dict[str, Any]:
    current = now()
    return {
        "hwid": hwid,
        "userId": record["id"],
        "userUuid": record["uuid"],
        "platform": platform,
        "osVersion": os_version,
        "deviceModel": device_model,
        "userAgent": user_agent,
        "requestIp": None,
        "createdAt": current,
        "updatedAt": current,
    }


def _json_dates(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: iso(v) if isinstance(v, datetime) else v for k, v in values.items()}


def render_device(device: Mapping[str, Any], api_version: int) -> dict[str, Any]:
    """A device as the panel's JSON shows it (``userId`` in 3.x, ``userUuid`` in 2.x)."""
    owner = {"userId": device["userId"]} if api_version >= 3 else {"userUuid": device["userUuid"]}
    rest = {k: v for k, v in device.items() if k not in ("userId", "userUuid", "hwid")}
    return _json_dates({"hwid": device["hwid"], **owner, **rest})


def happ_crypt_link(subscription_url: str) -> str:
    """What a panel before 2.3.0 put in ``happ.cryptoLink``: ``happ://crypt3/`` and the base64 of the
    subscription address encrypted with Happ's public RSA key (a 4096-bit key: 512 bytes), which only
    Happ can read. The emulator stands in 512 bytes derived from the address: as opaque to the shop as
    the real ciphertext, and the same for the same address."""
    blocks = (hashlib.sha512(f"{i}:{subscription_url}".encode()).digest() for i in range(8))
    return "happ://crypt3/" + base64.b64encode(b"".join(blocks)).decode()


def render_user(
    record: Mapping[str, Any],
    api_version: int,
    base_url: str,
    squads: Mapping[str, str],
    legacy_sub_fields: bool = False,
    before_2_3: bool = False,
) -> dict[str, Any]:
    """A user as the panel's JSON shows it: ``id`` in 3.x, ``uuid`` in 2.x, nested ``userTraffic``;
    ``subLastUserAgent``/``subLastOpenedAt`` only before 2.7 (``legacy_sub_fields``); before 2.3.0
    (``before_2_3``) the traffic counters at the top level, ``lastConnectedNode`` and Happ's encrypted
    link ``happ.cryptoLink``, which 2.3.0 dropped (3.x returns none)."""
    out: dict[str, Any] = {"id": record["id"]} if api_version >= 3 else {"uuid": record["uuid"]}
    out.update({name: record[name] for name in _PLAIN_FIELDS})
    if legacy_sub_fields:
        out.update(subLastUserAgent=None, subLastOpenedAt=None)
    out.update({name: record[name] for name in ("lastTrafficResetAt", "createdAt", "updatedAt")})
    out["subscriptionUrl"] = f"{base_url}/api/sub/{record['shortUuid']}"
    out["activeInternalSquads"] = [
        {"uuid": squad, "name": squads.get(squad, "")} for squad in record["activeInternalSquads"]
    ]
    traffic = {
        "usedTrafficBytes": record["usedTrafficBytes"],
        "lifetimeUsedTrafficBytes": record["lifetimeUsedTrafficBytes"],
        "onlineAt": record["onlineAt"],
        "firstConnectedAt": record["firstConnectedAt"],
    }
    if before_2_3:
        out.update(traffic)
        out["lastConnectedNode"] = None
        out["happ"] = {"cryptoLink": happ_crypt_link(out["subscriptionUrl"])}
    else:
        out["userTraffic"] = _json_dates({**traffic, "lastConnectedNodeUuid": None})
    return _json_dates(out)
