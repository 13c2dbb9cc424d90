"""Typed replies and requests of the Remnawave panel API (2.x and 3.x).

Replies are parsed tolerantly: unknown fields are ignored, both the 3.x numeric ``id`` and the 2.x
``uuid`` are accepted, traffic counters are read from the nested ``userTraffic`` object (2.3.0+) or
from the older top-level fields, Happ's encrypted link from ``happ.cryptoLink`` (before 2.3.0). Every
datetime is timezone-aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

USER_STATUSES = ("ACTIVE", "DISABLED", "LIMITED", "EXPIRED")
TRAFFIC_STRATEGIES = ("NO_RESET", "DAY", "WEEK", "MONTH", "MONTH_ROLLING")


def as_utc(value: datetime) -> datetime:
    """The same instant as an aware UTC datetime (naive values are taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_panel_datetime(value: datetime) -> str:
    """The panel's own ISO form with milliseconds and ``Z``: ``2026-12-24T00:36:51.000Z``."""
    value = as_utc(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]


class _PanelModel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, alias_generator=to_camel)


_TRAFFIC_FIELDS = ("usedTrafficBytes", "lifetimeUsedTrafficBytes", "onlineAt", "firstConnectedAt")


class PanelUser(_PanelModel):
    """A user of the panel as returned by every user endpoint (and inside webhooks)."""

    id: int | None = None
    uuid: str | None = None
    username: str
    short_uuid: str
    status: str
    traffic_limit_bytes: int = 0
    traffic_limit_strategy: str = "NO_RESET"
    expire_at: UtcDatetime
    telegram_id: int | None = None
    email: str | None = None
    description: str | None = None
    tag: str | None = None
    hwid_device_limit: int | None = None
    external_squad_uuid: str | None = None
    subscription_url: str = Field(default="", repr=False)
    used_traffic_bytes: int = 0
    lifetime_used_traffic_bytes: int = 0
    online_at: UtcDatetime | None = None
    first_connected_at: UtcDatetime | None = None
    active_internal_squads: list[str] = Field(default_factory=list)
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None
    #: Happ's encrypted subscription link (``happ://crypt…``), which panels before 2.3.0 returned as
    #: ``happ.cryptoLink``; 2.3.0 and 3.x return none
    happ_crypto_link: str | None = Field(default=None, repr=False)

    @model_validator(mode="before")
    @classmethod
    def _flatten_traffic(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        traffic = data.get("userTraffic")
        if isinstance(traffic, dict):
            data = dict(data)
            for key in _TRAFFIC_FIELDS:
                if traffic.get(key) is not None:
                    data[key] = traffic[key]
        if data.get("usedTrafficBytes") is None and "usedTrafficBytes" in data:
            data = {**data, "usedTrafficBytes": 0}
        happ = data.get("happ")
        if isinstance(happ, dict):
            link = happ.get("cryptoLink")
            # the panel answered "" when it could not encrypt
            data = {
                **data,
                "happCryptoLink": link if isinstance(link, str) and link.startswith("happ://") else None,
            }
        return data

    @field_validator("active_internal_squads", mode="before")
    @classmethod
    def _squad_uuids(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, list):
            return [item.get("uuid") if isinstance(item, dict) else item for item in value]
        return value

    @property
    def ref(self) -> int | str:
        """How the panel addresses this user: the numeric id in 3.x, the uuid in 2.x."""
        if self.id is not None:
            return self.id
        if self.uuid is not None:
            return self.uuid
        raise ValueError("panel user has neither id nor uuid")


class HwidDevice(_PanelModel):
    """A device (HWID) the subscription has been opened from."""

    hwid: str
    platform: str | None = None
    os_version: str | None = None
    device_model: str | None = None
    user_agent: str | None = None
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None


class HwidSettings(_PanelModel):
    """The panel's HWID device limiting (subscription settings), off on a fresh panel. While off, no
    device limit is enforced at all; while on, a user whose own limit is null gets the fallback."""

    enabled: bool = False
    fallback_device_limit: int | None = None


class SystemStats(_PanelModel):
    """The few numbers of ``GET /api/system/stats`` a shop shows or probes."""

    total_users: int = 0
    online_now: int = 0
    nodes_online: int = 0
    status_counts: dict[str, int] = Field(default_factory=dict)
    total_bytes_lifetime: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data

        def section(name: str) -> dict[str, Any]:
            value = data.get(name)
            return value if isinstance(value, dict) else {}

        users, online, nodes = section("users"), section("onlineStats"), section("nodes")
        counts = users.get("statusCounts")
        return {
            "totalUsers": users.get("totalUsers") or 0,
            "onlineNow": online.get("onlineNow") or 0,
            "nodesOnline": nodes.get("totalOnline") or 0,
            "statusCounts": counts if isinstance(counts, dict) else {},
            "totalBytesLifetime": nodes.get("totalBytesLifetime"),
        }


class _RequestModel(_PanelModel):
    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, alias_generator=to_camel, validate_assignment=True
    )

    def _payload(self, *, exclude_none: bool, exclude_unset: bool) -> dict[str, Any]:
        data = self.model_dump(by_alias=True, exclude_none=exclude_none, exclude_unset=exclude_unset)
        if isinstance(data.get("expireAt"), datetime):
            data["expireAt"] = format_panel_datetime(data["expireAt"])
        return data


class CreateUserRequest(_RequestModel):
    """Body of ``POST /api/users``; ``None`` fields are left out (the panel then uses its defaults)."""

    username: str
    expire_at: UtcDatetime
    telegram_id: int | None = None
    traffic_limit_bytes: int = 0
    traffic_limit_strategy: str = "NO_RESET"
    hwid_device_limit: int | None = None
    active_internal_squads: list[str] = Field(default_factory=list)
    external_squad_uuid: str | None = None
    description: str | None = None
    tag: str | None = None
    status: str | None = None

    def to_payload(self) -> dict[str, Any]:
        """The camelCase JSON object the panel expects."""
        return self._payload(exclude_none=True, exclude_unset=False)


_NULLABLE_ON_UPDATE = frozenset(
    {"telegramId", "hwidDeviceLimit", "externalSquadUuid", "description", "tag", "email"}
)


class UpdateUserRequest(_RequestModel):
    """Body of ``PATCH /api/users``: only the fields given to the constructor are sent.

    A field given explicitly as ``None`` is sent as ``null`` (``hwid_device_limit=None`` returns the user
    to the panel default, ``tag=None`` clears the tag); ``expire_at`` must lie in the future.
    """

    expire_at: UtcDatetime | None = None
    telegram_id: int | None = None
    traffic_limit_bytes: int | None = None
    traffic_limit_strategy: str | None = None
    hwid_device_limit: int | None = None
    active_internal_squads: list[str] | None = None
    external_squad_uuid: str | None = None
    description: str | None = None
    tag: str | None = None
    email: str | None = None
    status: str | None = None

    def to_payload(self) -> dict[str, Any]:
        """The camelCase JSON object of the fields that were set (``null`` only where the panel takes it)."""
        data = self._payload(exclude_none=False, exclude_unset=True)
        return {k: v for k, v in data.items() if v is not None or k in _NULLABLE_ON_UPDATE}
