"""Settings of self-employed tax receipts ("Мой налог")."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import SecretStr, field_validator, model_validator

from remnastore.settings_base import SettingsGroup, env, http_url

DEVICE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"


class TaxReceiptSettings(SettingsGroup):
    enabled: bool = env(
        "NALOGO_ENABLED",
        False,
        description="register a self-employed income receipt (Мой налог) for every order paid in roubles",
    )
    inn: str | None = env(
        "NALOGO_INN", None, description="the seller's INN (12 digits), the login of Мой налог"
    )
    password: SecretStr | None = env(
        "NALOGO_PASSWORD", None, description="password of the taxpayer's cabinet (lkfl2.nalog.ru)"
    )
    refresh_token: SecretStr | None = env(
        "NALOGO_REFRESH_TOKEN",
        None,
        description="instead of a password (Госуслуги accounts): refresh token issued to NALOGO_DEVICE_ID",
    )
    device_id: str | None = env(
        "NALOGO_DEVICE_ID",
        None,
        description="stable device id sent to the tax service; unset = derived from NALOGO_INN",
    )
    api_url: str = env(
        "NALOGO_API_URL", "https://lknpd.nalog.ru/api", description="base address of the service"
    )
    timeout: float = env(
        "NALOGO_TIMEOUT", 30.0, gt=0, le=120, description="timeout of one request to the tax service, seconds"
    )
    service_name: str = env(
        "NALOGO_SERVICE_NAME",
        "Доступ к VPN-сервису",
        min_length=1,
        max_length=200,
        description="what the receipt says was sold (the order number is added)",
    )
    timezone: str = env(
        "NALOGO_TIMEZONE", "Europe/Moscow", description="time zone of the times sent on receipts"
    )
    send_link: bool = env("NALOGO_SEND_LINK", True, description="send the customer the link to their receipt")
    interval_seconds: int = env(
        "NALOGO_INTERVAL_SECONDS",
        60,
        ge=5,
        le=3600,
        description="how often pending receipts are sent (also right after each payment), seconds",
    )
    max_backoff_seconds: int = env(
        "NALOGO_MAX_BACKOFF_SECONDS",
        1800,
        ge=60,
        le=86400,
        description="longest wait between two attempts of one receipt while the service fails, seconds",
    )

    @field_validator("inn", "password", "refresh_token", "device_id", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("inn")
    @classmethod
    def _inn(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip().isdigit() or len(value.strip()) != 12):
            raise ValueError("must be the 12-digit INN of the self-employed seller")
        return value.strip() if value is not None else None

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)

    @model_validator(mode="after")
    def _complete(self) -> TaxReceiptSettings:
        if self.enabled and self.inn is None:
            raise ValueError("NALOGO_INN is required when NALOGO_ENABLED is true")
        if self.enabled and self.password is None and self.refresh_token is None:
            raise ValueError(
                "NALOGO_PASSWORD or NALOGO_REFRESH_TOKEN is required when NALOGO_ENABLED is true"
            )
        return self

    def device(self) -> str:
        """The device id: configured, or 21 characters derived from the INN (stable across restarts and
        instances, different for every seller)."""
        if self.device_id:
            return self.device_id
        digest = hashlib.sha256(f"remnastore-nalogo:{self.inn}".encode()).digest()
        return "".join(DEVICE_ALPHABET[byte % len(DEVICE_ALPHABET)] for byte in digest[:21])

    def secrets(self) -> list[str]:
        return [s.get_secret_value() for s in (self.password, self.refresh_token) if s is not None]
