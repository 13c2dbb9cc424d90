"""The records of the "Мой налог" emulator (emulators/nalogo.py): sellers, receipts, tokens, and the
service's own formats (its timestamps, its numbers, its validation of an income)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

INCOME_TYPES = frozenset({"FROM_INDIVIDUAL", "FROM_LEGAL_ENTITY", "FROM_FOREIGN_AGENCY"})


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(value: Any) -> datetime | None:
    """ISO-8601 with an offset (``Z`` or ``+03:00``, fractions up to 9 digits); naive times are refused."""
    if not isinstance(value, str) or "T" not in value:
        return None
    text = value.strip().replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(ch for ch in rest if ch.isdigit())
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def decimal_of(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


@dataclass
class Seller:
    inn: str
    password: str
    phone: str
    display_name: str = "Иванов Иван Иванович"


@dataclass
class Receipt:
    receipt_id: str
    inn: str
    name: str
    services: list[dict[str, Any]]
    total: Decimal
    operation_time: datetime
    request_time: datetime
    register_time: datetime
    payment_type: str
    income_type: str
    device_id: str
    cancellation: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "approvedReceiptUuid": self.receipt_id,
            "name": self.name,
            "services": self.services,
            "operationTime": self.operation_time.isoformat(),
            "requestTime": self.request_time.isoformat(),
            "registerTime": iso(self.register_time),
            "taxPeriodId": int(self.operation_time.strftime("%Y%m")),
            "paymentType": self.payment_type,
            "incomeType": self.income_type,
            "partnerCode": None,
            "totalAmount": float(self.total),
            "cancellationInfo": self.cancellation,
            "sourceDeviceId": self.device_id,
            "clientInn": None,
            "clientDisplayName": None,
            "inn": self.inn,
        }


@dataclass
class Token:
    inn: str
    device_id: str
    expires_at: datetime


@dataclass
class Refresh:
    inn: str
    device_id: str
    revoked: bool = False


@dataclass
class Challenge:
    phone: str
    expires_at: datetime


@dataclass
class Counters:
    logins: int = 0
    sms_logins: int = 0
    refreshes: int = 0
    unauthorized: int = 0
    incomes: int = 0
    cancels: int = 0
    lists: int = 0


def validate_income(body: dict[str, Any]) -> tuple[list[dict[str, Any]], Decimal] | str:
    """The services and total of an income, or the service's message refusing it."""
    services = body.get("services")
    if not isinstance(services, list) or not services:
        return "Список услуг не может быть пустым"
    total = Decimal(0)
    clean: list[dict[str, Any]] = []
    for number, item in enumerate(services):
        if not isinstance(item, dict) or not str(item.get("name", "")).strip():
            return "Наименование услуги не может быть пустым"
        amount, quantity = decimal_of(item.get("amount")), decimal_of(item.get("quantity"))
        if amount is None or amount <= 0 or quantity is None or quantity <= 0:
            return "Сумма и количество должны быть больше нуля"
        total += amount * quantity
        clean.append({"name": item["name"], "quantity": quantity, "serviceNumber": number, "amount": amount})
    given = decimal_of(body.get("totalAmount"))
    if given is None or given.quantize(Decimal("0.01")) != total.quantize(Decimal("0.01")):
        return "Итоговая сумма не совпадает с суммой услуг"
    client = body.get("client") or {}
    if not isinstance(client, dict) or client.get("incomeType", "FROM_INDIVIDUAL") not in INCOME_TYPES:
        return "Неизвестный тип дохода"
    if body.get("paymentType") not in ("CASH", "ACCOUNT"):
        return "Неизвестный тип оплаты"
    for key in ("operationTime", "requestTime"):
        if parse_time(body.get(key)) is None:
            return f"Неверный формат даты {key}"
    return clean, total
