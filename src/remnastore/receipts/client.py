"""HTTP client of "Мой налог" (lknpd.nalog.ru/api), the calls its web cabinet makes.

Authentication: a login (INN + password, ``POST /v1/auth/lkfl``) or a configured refresh token gives an
access token with an absolute expiry and a refresh token bound to our device id. Before a call the token
is refreshed when it expires within a minute (``POST /v1/auth/token``); a 401 refreshes once and replays
the call once. A failed refresh falls back to the password. One lock per client: never two refreshes at
once. Credentials and tokens are never logged.

Errors say what the caller may do next:

* :class:`NotSent` — the request did not take effect (connection refused, 429, an authentication step
  failed for a transient reason): safe to send again later;
* :class:`OutcomeUnknown` — a write may have taken effect (timeout after sending, 5xx, an HTML page, a
  200 without the receipt id): look it up (:meth:`NalogoClient.find_income`) before sending it again;
* :class:`Refused` — the service refused the request (4xx): sending it again will not help;
* :class:`CredentialsRejected` — the login was refused: an admin must fix the settings.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import aiohttp

from remnastore.infra.clock import Clock
from remnastore.receipts.settings import TaxReceiptSettings

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(seconds=60)
#: receipt ids are short opaque strings (10 characters of [0-9a-z] in practice); anything else is not stored
RECEIPT_ID = re.compile(r"[0-9A-Za-z]{1,64}")
CANCEL_REFUND = "Возврат средств"
HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/plain, */*",
    "Accept-Language": "ru-RU,ru;q=0.9",
}


class NalogoError(Exception):
    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NotSent(NalogoError):
    """Nothing happened at the service; try again later."""


class OutcomeUnknown(NalogoError):
    """The service may have done it; look it up before sending it again."""


class Refused(NalogoError):
    """The service refused the request; repeating it will not help."""


class CredentialsRejected(NalogoError):
    """The login was refused: the INN, password or refresh token is wrong."""


@dataclass(frozen=True)
class FoundIncome:
    receipt_id: str
    name: str
    total: Decimal
    cancelled: bool


def _message(text: str) -> str:
    """The service's own message from an error body (JSON ``message``), or the start of the text."""
    try:
        body = json.loads(text)
    except ValueError:
        return text.strip()[:120] or "empty answer"
    if isinstance(body, dict):
        for key in ("message", "exceptionMessage", "code"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])[:200]
    return text.strip()[:120]


def _expiry(value: Any, now: datetime) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            pass
    return now + timedelta(hours=1)


def money_text(minor: int) -> str:
    return format(Decimal(minor).scaleb(-2).quantize(Decimal("0.01")), "f")


class NalogoClient:
    def __init__(self, settings: TaxReceiptSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._token_expires = datetime.min.replace(tzinfo=UTC)
        self._refresh: str | None = (
            settings.refresh_token.get_secret_value() if settings.refresh_token is not None else None
        )

    @property
    def seller_inn(self) -> str:
        return self._settings.inn or ""

    def receipt_url(self, receipt_id: str) -> str:
        return f"{self._settings.api_url}/v1/receipt/{self.seller_inn}/{receipt_id}/print"

    # -- transport -----------------------------------------------------------------------------------
    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=HEADERS)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _send(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        token: str | None = None,
        write: bool,
    ) -> tuple[int, str, str]:
        """One request: (status, content type, text). Transport failures become NotSent/OutcomeUnknown."""
        url = f"{self._settings.api_url}{path}"
        timeout = aiohttp.ClientTimeout(
            total=self._settings.timeout, connect=min(10.0, self._settings.timeout)
        )
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        try:
            async with self._http().request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as response:
                return response.status, response.content_type, await response.text()
        except (aiohttp.ClientConnectorError, aiohttp.ClientProxyConnectionError) as exc:
            raise NotSent(f"tax service unreachable: {type(exc).__name__}") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = OutcomeUnknown if write else NotSent
            raise error(f"tax service did not answer: {type(exc).__name__}") from exc

    # -- authentication ------------------------------------------------------------------------------
    def _device_info(self) -> dict[str, Any]:
        return {
            "sourceDeviceId": self._settings.device(),
            "sourceType": "WEB",
            "appVersion": "1.0.0",
            "metaDetails": {"userAgent": "Mozilla/5.0 (X11; Linux x86_64) remnastore"},
        }

    def _accept_tokens(self, answer: dict[str, Any]) -> None:
        token = answer.get("token")
        if not isinstance(token, str) or not token:
            raise NotSent("the tax service answered a login without a token")
        self._token = token
        self._token_expires = _expiry(answer.get("tokenExpireIn"), self._clock.now())
        refresh = answer.get("refreshToken")
        if isinstance(refresh, str) and refresh:  # kept unless a new one comes back
            self._refresh = refresh

    async def _auth_call(self, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """A login or refresh; None when the service refused it (4xx)."""
        status, _kind, text = await self._send("POST", path, body=body, write=False)
        if status == 200:
            try:
                answer = json.loads(text)
            except ValueError:
                raise NotSent(
                    "the tax service answered a login with a page, not data", status=status
                ) from None
            if isinstance(answer, dict):
                return answer
            raise NotSent("the tax service answered a login with unexpected data", status=status)
        if 400 <= status < 500 and status != 429:
            log.warning("the tax service refused %s: %s", path, _message(text), extra={"status": status})
            return None
        raise NotSent(f"tax service login failed ({status})", status=status)

    async def _ensure_token(self, *, stale: str | None = None) -> str:
        async with self._lock:
            fresh = self._token_expires - self._clock.now() > REFRESH_MARGIN
            if self._token is not None and self._token != stale and fresh:
                return self._token
            self._token = None
            if self._refresh is not None:
                answer = await self._auth_call(
                    "/v1/auth/token", {"deviceInfo": self._device_info(), "refreshToken": self._refresh}
                )
                if answer is not None:
                    self._accept_tokens(answer)
                    log.info("tax service token refreshed")
                    return str(self._token)
                self._refresh = None
            password = self._settings.password
            if password is None:
                raise CredentialsRejected("the refresh token was refused and no NALOGO_PASSWORD is set")
            answer = await self._auth_call(
                "/v1/auth/lkfl",
                {
                    "username": self._settings.inn,
                    "password": password.get_secret_value(),
                    "deviceInfo": self._device_info(),
                },
            )
            if answer is None:
                raise CredentialsRejected("the tax service refused NALOGO_INN / NALOGO_PASSWORD")
            self._accept_tokens(answer)
            log.info("logged in to the tax service")
            return str(self._token)

    async def ensure_login(self) -> None:
        """Log in (or refresh) now, e.g. to check the credentials."""
        await self._ensure_token()

    async def _call(
        self, method: str, path: str, *, body: dict[str, Any] | None = None, write: bool
    ) -> tuple[int, str, str]:
        """An authenticated call; a 401 refreshes the token once and replays the call once."""
        token = await self._ensure_token()
        status, kind, text = await self._send(method, path, body=body, token=token, write=write)
        if status in (401, 403):
            token = await self._ensure_token(stale=token)
            status, kind, text = await self._send(method, path, body=body, token=token, write=write)
            if status in (401, 403):
                raise NotSent("the tax service refused a fresh token", status=status)
        return status, kind, text

    # -- receipts ------------------------------------------------------------------------------------
    def _moment(self, moment: datetime) -> str:
        return moment.astimezone(ZoneInfo(self._settings.timezone)).replace(microsecond=0).isoformat()

    async def register_income(self, *, name: str, amount_minor: int, paid_at: datetime) -> str:
        """Register one income; returns the receipt id."""
        amount = money_text(amount_minor)
        body = {
            "operationTime": self._moment(paid_at),
            "requestTime": self._moment(self._clock.now()),
            "services": [{"name": name, "amount": amount, "quantity": 1}],
            "totalAmount": amount,
            "client": {
                "contactPhone": None,
                "displayName": None,
                "incomeType": "FROM_INDIVIDUAL",
                "inn": None,
            },
            "paymentType": "CASH",
            "ignoreMaxTotalIncomeRestriction": False,
        }
        status, kind, text = await self._call("POST", "/v1/income", body=body, write=True)
        if status == 429:
            raise NotSent("the tax service asks to slow down (429)", status=status)
        if 400 <= status < 500:
            raise Refused(_message(text), status=status)
        if status != 200 or kind != "application/json":
            raise OutcomeUnknown(f"tax service answered {status}: {_message(text)}", status=status)
        try:
            receipt_id = json.loads(text).get("approvedReceiptUuid")
        except (ValueError, AttributeError):
            receipt_id = None
        if not isinstance(receipt_id, str) or not RECEIPT_ID.fullmatch(receipt_id):
            raise OutcomeUnknown(
                "the tax service answered 200 without a usable approvedReceiptUuid", status=status
            )
        return receipt_id

    async def cancel_income(self, receipt_id: str, *, refunded_at: datetime) -> None:
        body = {
            "operationTime": self._moment(refunded_at),
            "requestTime": self._moment(self._clock.now()),
            "comment": CANCEL_REFUND,
            "receiptUuid": receipt_id,
            "partnerCode": None,
        }
        status, _kind, text = await self._call("POST", "/v1/cancel", body=body, write=True)
        if status == 200:
            return
        if status == 429:
            raise NotSent("the tax service asks to slow down (429)", status=status)
        if 400 <= status < 500:
            if await self.is_cancelled(receipt_id):
                return  # cancelled already (an earlier attempt whose answer was lost)
            raise Refused(_message(text), status=status)
        raise OutcomeUnknown(f"tax service answered {status}: {_message(text)}", status=status)

    async def is_cancelled(self, receipt_id: str) -> bool:
        status, _kind, text = await self._send(
            "GET", f"/v1/receipt/{self.seller_inn}/{receipt_id}/json", write=False
        )
        if status != 200:
            return False
        try:
            return json.loads(text).get("cancellationInfo") is not None
        except (ValueError, AttributeError):
            return False

    async def find_income(self, marker: str, *, amount_minor: int, around: datetime) -> FoundIncome | None:
        """The registered (not cancelled) receipt whose name contains ``marker`` with this amount, within a
        day of ``around``; None when the listing shows none. Raises NotSent when it cannot be listed."""
        start, end = around - timedelta(days=1), around + timedelta(days=1)
        offset = 0
        while True:
            query = {
                "from": self._moment(start),
                "to": self._moment(end),
                "offset": str(offset),
                "limit": "100",
                "sortBy": "operation_time:desc",
            }
            path = "/v1/incomes?" + urlencode(query)
            status, _kind, text = await self._call("GET", path, write=False)
            if status != 200:
                raise NotSent(f"tax service listing failed ({status}): {_message(text)}", status=status)
            try:
                page = json.loads(text)
                items = page["content"]
            except (ValueError, KeyError, TypeError):
                raise NotSent("tax service listing is not readable") from None
            for item in items if isinstance(items, list) else []:
                if not isinstance(item, dict) or marker not in str(item.get("name", "")):
                    continue
                total = Decimal(str(item.get("totalAmount", "0"))).quantize(Decimal("0.01"))
                receipt_id = str(item.get("approvedReceiptUuid", ""))
                if not RECEIPT_ID.fullmatch(receipt_id):
                    continue
                if total == Decimal(money_text(amount_minor)) and item.get("cancellationInfo") is None:
                    return FoundIncome(receipt_id, str(item["name"]), total, False)
            if not page.get("hasMore"):
                return None
            offset += len(items)
