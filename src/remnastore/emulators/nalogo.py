"""Emulator of the self-employed tax service "Мой налог" (lknpd.nalog.ru/api), as its web cabinet's clients
see it (no public API exists; the facts are collected in the project's NALOGO notes).

Served under ``<url>/api``:

* ``POST /v1/auth/lkfl`` (INN + password), ``POST /v2/auth/challenge/sms/start`` then
  ``POST /v1/auth/challenge/sms/verify`` (phone + SMS code; *start* exists only under v2), and
  ``POST /v1/auth/token`` (refresh). Logins answer an access token with an absolute ``tokenExpireIn``
  (``…Z`` with milliseconds), a refresh token bound to the device id, and the profile. A new login
  invalidates the seller's earlier access tokens. Bad credentials: 422 ``authentication.failed``.
* ``POST /v1/income`` and ``POST /v1/cancel``, ``GET /v1/incomes`` (reconciliation), ``GET /v1/user``:
  Bearer token required (missing, unknown or expired -> 401). Incomes are validated as the service does
  (400 ``validation.failed``); identical bodies make distinct receipts (the service has no idempotency).
* ``GET /v1/receipt/{inn}/{id}/print`` (a JPEG) and ``/json``, without a token.

Fault injection: :meth:`set_down` (503 with an HTML maintenance page, nothing stored), :meth:`fail_next`
(a status before the request is handled), :meth:`store_then_fail` (the receipt is registered, then a 500
answers: the client cannot know), :meth:`expire_tokens` / :attr:`token_ttl` (time passes for tokens),
:meth:`revoke_refresh_tokens`.
"""

from __future__ import annotations

import secrets
import string
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web

from remnastore.emulators.nalogo_records import (
    Challenge,
    Counters,
    Receipt,
    Refresh,
    Seller,
    Token,
    iso,
    parse_time,
    validate_income,
)
from remnastore.emulators.provider_base import ProviderEmulator

CANCEL_COMMENTS = frozenset({"Чек сформирован ошибочно", "Возврат средств"})
ANNUAL_LIMIT = Decimal("2400000")
SMS_CODE = "123456"
BAD_CREDENTIALS = (
    "Неверный ИНН или пароль от личного кабинета налогоплательщика - физического лица. "
    "Проверьте правильность введенных данных и повторите попытку."
)
INTERNAL = "Внутренняя ошибка. Попробуйте еще раз"
MAINTENANCE_PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Мой налог</title></head>"
    "<body><h1>Ведутся технические работы</h1><p>Сервис временно недоступен.</p></body></html>"
)
#: the smallest valid JPEG (a 1x1 grey pixel)
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f"
    "141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100"
    "ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000"
    "017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a2526272829"
    "2a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a9293"
    "9495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8"
    "e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9"
)


class NalogoEmulator(ProviderEmulator):
    def __init__(
        self, inn: str, password: str, phone: str = "79001234567", *, token_ttl: float = 3600.0
    ) -> None:
        super().__init__()
        self.seller = Seller(inn, password, phone)
        self.token_ttl = token_ttl
        #: answer refreshes with a new refresh token too (both shapes are seen in the wild)
        self.rotate_refresh_tokens = False
        #: the id the next registered receipt gets (default: 10 random characters of [0-9a-z])
        self.next_receipt_id: str | None = None
        self.receipts: dict[str, Receipt] = {}
        self.counters = Counters()
        self._tokens: dict[str, Token] = {}
        self._refresh: dict[str, Refresh] = {}
        self._challenges: dict[str, Challenge] = {}
        self._skew = timedelta()
        self._maintenance = False
        self._maintenance_status = 503
        self._store_then_fail = 0

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def now(self) -> datetime:
        return datetime.now(UTC) + self._skew

    # -- fault injection -----------------------------------------------------------------------------
    def set_down(self, down: bool = True, *, status: int = 503) -> None:
        """Maintenance: every call answers an HTML page (503, or 200 as the real one sometimes does);
        nothing is stored."""
        self._maintenance = down
        self._maintenance_status = status

    def store_then_fail(self, count: int = 1) -> None:
        """The next ``count`` incomes are registered, but the answer is a 500 (the outcome is unknown)."""
        self._store_then_fail += count

    def advance(self, delta: timedelta) -> None:
        """Time passes for the service (tokens expire)."""
        self._skew += delta

    def expire_tokens(self) -> None:
        for token in self._tokens.values():
            token.expires_at = self.now() - timedelta(seconds=1)

    def revoke_refresh_tokens(self) -> None:
        for refresh in self._refresh.values():
            refresh.revoked = True

    def receipts_named(self, marker: str) -> list[Receipt]:
        return [r for r in self.receipts.values() if marker in r.name]

    # -- routes --------------------------------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        app.middlewares.append(self._maintenance_mode)
        app.router.add_post("/api/v1/auth/lkfl", self._login)
        app.router.add_post("/api/v2/auth/challenge/sms/start", self._sms_start)
        app.router.add_post("/api/v1/auth/challenge/sms/verify", self._sms_verify)
        app.router.add_post("/api/v1/auth/token", self._refresh_token)
        app.router.add_post("/api/v1/income", self._income)
        app.router.add_post("/api/v1/cancel", self._cancel)
        app.router.add_get("/api/v1/incomes", self._incomes)
        app.router.add_get("/api/v1/user", self._user)
        app.router.add_get("/api/v1/receipt/{inn}/{receipt_id}/print", self._print)
        app.router.add_get("/api/v1/receipt/{inn}/{receipt_id}/json", self._receipt_json)

    @web.middleware
    async def _maintenance_mode(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self._maintenance:
            return web.Response(
                status=self._maintenance_status, text=MAINTENANCE_PAGE, content_type="text/html"
            )
        response: web.StreamResponse = await handler(request)
        return response

    @staticmethod
    def _error(status: int, code: str | None, message: str) -> web.Response:
        body: dict[str, Any] = {"message": message}
        if code is not None:
            body = {"code": code, "message": message, "additionalInfo": {}}
        return web.json_response(body, status=status)

    @staticmethod
    async def _json(request: web.Request) -> dict[str, Any] | None:
        try:
            body = await request.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _issue(self, device_id: str) -> dict[str, Any]:
        inn = self.seller.inn
        # a new login invalidates the seller's earlier access tokens
        self._tokens = {key: value for key, value in self._tokens.items() if value.inn != inn}
        token, refresh = secrets.token_urlsafe(48), secrets.token_urlsafe(32)
        expires = self.now() + timedelta(seconds=self.token_ttl)
        self._tokens[token] = Token(inn, device_id, expires)
        self._refresh[refresh] = Refresh(inn, device_id)
        return {
            "token": token,
            "tokenExpireIn": iso(expires),
            "refreshToken": refresh,
            "refreshTokenExpiresIn": None,
            "profile": self._profile(),
        }

    def _profile(self) -> dict[str, Any]:
        return {
            "id": 1000000,
            "inn": self.seller.inn,
            "displayName": self.seller.display_name,
            "phone": self.seller.phone,
            "status": "ACTIVE",
            "restrictedMode": False,
        }

    @staticmethod
    def _device(body: dict[str, Any]) -> str | None:
        info = body.get("deviceInfo")
        device = info.get("sourceDeviceId") if isinstance(info, dict) else None
        return device if isinstance(device, str) and device else None

    async def _login(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        device = self._device(body) if body is not None else None
        if body is None or device is None or not body.get("username") or not body.get("password"):
            return self._error(400, "validation.failed", "Не заполнены обязательные поля")
        if body["username"] != self.seller.inn or body["password"] != self.seller.password:
            return self._error(422, "authentication.failed", BAD_CREDENTIALS)
        self.counters.logins += 1
        return web.json_response(self._issue(device))

    async def _sms_start(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        phone = body.get("phone") if body is not None else None
        if phone != self.seller.phone:
            return self._error(422, "phone.invalid", "Номер телефона не найден")
        now = self.now()
        if any(c.phone == phone and c.expires_at > now for c in self._challenges.values()):
            return self._error(422, "sms.too_often", "Повторный код можно запросить позже")
        challenge = str(uuid.uuid4())
        self._challenges[challenge] = Challenge(phone, now + timedelta(seconds=120))
        expire = now + timedelta(seconds=120)
        return web.json_response({"challengeToken": challenge, "expireDate": iso(expire), "expireIn": 120})

    async def _sms_verify(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        device = self._device(body) if body is not None else None
        challenge = self._challenges.get(str((body or {}).get("challengeToken", "")))
        if body is None or device is None or challenge is None or challenge.expires_at < self.now():
            return self._error(422, "sms.challenge", "Код подтверждения устарел")
        if body.get("phone") != challenge.phone or body.get("code") != SMS_CODE:
            return self._error(422, "sms.code", "Неверный код подтверждения")
        del self._challenges[str(body["challengeToken"])]
        self.counters.sms_logins += 1
        return web.json_response(self._issue(device))

    async def _refresh_token(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        refresh = self._refresh.get(str((body or {}).get("refreshToken", "")))
        device = self._device(body) if body is not None else None
        if refresh is None or refresh.revoked or device != refresh.device_id:
            return self._error(401, "authentication.failed", "Refresh token недействителен")
        self.counters.refreshes += 1
        token = secrets.token_urlsafe(48)
        expires = self.now() + timedelta(seconds=self.token_ttl)
        self._tokens[token] = Token(refresh.inn, refresh.device_id, expires)
        answer: dict[str, Any] = {"token": token, "tokenExpireIn": iso(expires)}
        if self.rotate_refresh_tokens:
            refresh.revoked = True
            fresh = secrets.token_urlsafe(32)
            self._refresh[fresh] = Refresh(refresh.inn, refresh.device_id)
            answer["refreshToken"] = fresh
        return web.json_response(answer)

    def _bearer(self, request: web.Request) -> Token | None:
        header = request.headers.get("Authorization", "")
        token = (
            self._tokens.get(header.removeprefix("Bearer ").strip()) if header.startswith("Bearer ") else None
        )
        if token is None or token.expires_at <= self.now():
            self.counters.unauthorized += 1
            return None
        return token

    def _unauthorized(self) -> web.Response:
        return web.json_response({}, status=401)

    async def _authorized_body(self, request: web.Request) -> tuple[Token, dict[str, Any]] | web.Response:
        """The caller's token and the JSON body of a write, or the service's refusal of either."""
        token = self._bearer(request)
        if token is None:
            return self._unauthorized()
        body = await self._json(request)
        if body is None:
            return self._error(400, "validation.failed", "Некорректный запрос")
        return token, body

    # -- receipts ------------------------------------------------------------------------------------
    async def _income(self, request: web.Request) -> web.Response:
        authorized = await self._authorized_body(request)
        if isinstance(authorized, web.Response):
            return authorized
        token, body = authorized
        checked = validate_income(body)
        if isinstance(checked, str):
            return self._error(400, "validation.failed", checked)
        services, total = checked
        operation = parse_time(body["operationTime"])
        assert operation is not None
        year_total = sum(
            (
                r.total
                for r in self.receipts.values()
                if r.cancellation is None and r.operation_time.year == operation.year
            ),
            Decimal(0),
        )
        if year_total + total > ANNUAL_LIMIT and not body.get("ignoreMaxTotalIncomeRestriction"):
            return self._error(400, "income.limit.exceeded", "Превышен лимит дохода за год")
        receipt_id = "".join(secrets.choice(string.digits + string.ascii_lowercase) for _ in range(10))
        if self.next_receipt_id is not None:  # a hostile or broken answer, for tests
            receipt_id, self.next_receipt_id = self.next_receipt_id, None
        self.counters.incomes += 1
        self.receipts[receipt_id] = Receipt(
            receipt_id=receipt_id,
            inn=token.inn,
            name=str(services[0]["name"]),
            services=[
                {**s, "amount": float(s["amount"]), "quantity": float(s["quantity"])} for s in services
            ],
            total=total,
            operation_time=operation,
            request_time=parse_time(body["requestTime"]) or operation,
            register_time=self.now(),
            payment_type=str(body["paymentType"]),
            income_type=str((body.get("client") or {}).get("incomeType", "FROM_INDIVIDUAL")),
            device_id=token.device_id,
        )
        if self._store_then_fail:
            self._store_then_fail -= 1
            return self._error(500, None, INTERNAL)
        return web.json_response({"approvedReceiptUuid": receipt_id})

    async def _cancel(self, request: web.Request) -> web.Response:
        authorized = await self._authorized_body(request)
        if isinstance(authorized, web.Response):
            return authorized
        token, body = authorized
        receipt = self.receipts.get(str(body.get("receiptUuid", "")))
        if receipt is None or receipt.inn != token.inn:
            return self._error(404, "receipt.not.found", "Чек не найден")
        if body.get("comment") not in CANCEL_COMMENTS:
            return self._error(400, "validation.failed", "Неверная причина аннулирования")
        operation = parse_time(body.get("operationTime"))
        if operation is None or parse_time(body.get("requestTime")) is None:
            return self._error(400, "validation.failed", "Неверный формат даты")
        if receipt.cancellation is not None:
            return self._error(400, "receipt.already.cancelled", "Чек уже аннулирован")
        self.counters.cancels += 1
        receipt.cancellation = {
            "operationTime": operation.isoformat(),
            "registerTime": iso(self.now()),
            "taxPeriodId": int(operation.strftime("%Y%m")),
            "comment": body["comment"],
        }
        return web.json_response({"incomeInfo": receipt.as_json()})

    async def _incomes(self, request: web.Request) -> web.Response:
        if self._bearer(request) is None:
            return self._unauthorized()
        self.counters.lists += 1
        start, end = parse_time(request.query.get("from")), parse_time(request.query.get("to"))
        if start is None or end is None:
            return self._error(500, None, INTERNAL)
        sort = request.query.get("sortBy", "operation_time:desc")
        field_name, _, direction = sort.partition(":")
        if field_name not in ("operation_time", "total_amount") or direction not in ("asc", "desc"):
            return self._error(400, "validation.failed", "Требуется два параметра для сортировки")
        try:
            offset = max(0, int(request.query.get("offset", "0")))
            limit = min(100, max(1, int(request.query.get("limit", "50"))))
        except ValueError:
            return self._error(400, "validation.failed", "Некорректные параметры")
        found = [r for r in self.receipts.values() if start <= r.operation_time <= end]
        key = (lambda r: r.operation_time) if field_name == "operation_time" else (lambda r: r.total)
        found.sort(key=key, reverse=direction == "desc")
        page = found[offset : offset + limit]
        return web.json_response(
            {
                "content": [r.as_json() for r in page],
                "hasMore": offset + limit < len(found),
                "currentOffset": offset,
                "currentLimit": limit,
            }
        )

    async def _user(self, request: web.Request) -> web.Response:
        if self._bearer(request) is None:
            return self._unauthorized()
        return web.json_response(self._profile())

    def _public(self, request: web.Request) -> Receipt:
        receipt = self.receipts.get(request.match_info["receipt_id"])
        if receipt is None or receipt.inn != request.match_info["inn"]:
            raise web.HTTPNotFound(text='{"message":"Чек не найден"}', content_type="application/json")
        return receipt

    async def _print(self, request: web.Request) -> web.Response:
        self._public(request)
        return web.Response(body=TINY_JPEG, content_type="image/jpeg")

    async def _receipt_json(self, request: web.Request) -> web.Response:
        return web.json_response(self._public(request).as_json())
