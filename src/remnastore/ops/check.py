"""`remnastore check`: is the configuration usable, and does everything it names answer?

Each check prints one line: what is wrong and how to fix it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from redis.asyncio import Redis

from remnastore.config import Settings
from remnastore.infra.clock import SystemClock
from remnastore.panel.client import RemnawaveClient
from remnastore.panel.errors import PanelAuthError, PanelError, PanelProxyHeadersMissing, PanelUnavailable
from remnastore.receipts.client import CredentialsRejected, NalogoClient, NalogoError

TIMEOUT = 10.0


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    seconds: float = 0.0


def _where(url: str) -> str:
    """A URL without credentials, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}" if host else url.split("?")[0]


async def _timed(name: str, check: Callable[[], Awaitable[CheckResult]]) -> CheckResult:
    started = time.perf_counter()
    try:
        result = await asyncio.wait_for(check(), TIMEOUT)
    except TimeoutError:
        result = CheckResult(
            name, False, f"no answer within {TIMEOUT:.0f} s", "check the address and the network"
        )
    return CheckResult(result.name, result.ok, result.detail, result.fix, time.perf_counter() - started)


async def check_database(settings: Settings) -> CheckResult:
    from remnastore.db import migrate
    from remnastore.db.session import Database

    url = settings.database.url
    db = Database(url, pool_size=1)
    try:
        await db.ping()
    except Exception as exc:
        return CheckResult(
            "database",
            False,
            f"cannot connect to {_where(url)}: {_reason(exc)}",
            "start the database server or correct DATABASE_URL",
        )
    finally:
        await db.dispose()
    if await migrate.is_up_to_date(url):
        return CheckResult("database", True, f"{_where(url)}, schema up to date")
    if settings.database.auto_migrate:
        return CheckResult("database", True, f"{_where(url)}, schema will be migrated at start")
    return CheckResult("database", False, f"{_where(url)}: schema is behind", "run `remnastore migrate`")


async def check_redis(settings: Settings) -> CheckResult:
    if settings.redis.url is None:
        return CheckResult(
            "redis", True, "not configured: conversation state is kept in memory (one instance)"
        )
    redis = Redis.from_url(settings.redis.url, socket_connect_timeout=5, socket_timeout=5)
    try:
        await redis.ping()  # type: ignore[misc]
    except Exception as exc:
        return CheckResult(
            "redis",
            False,
            f"cannot reach {_where(settings.redis.url)}: {_reason(exc)}",
            "start Redis or correct REDIS_URL",
        )
    finally:
        await redis.aclose()
    return CheckResult("redis", True, _where(settings.redis.url))


async def check_telegram(settings: Settings) -> CheckResult:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram.api_url), timeout=TIMEOUT)
    bot = Bot(settings.telegram.bot_token.get_secret_value(), session=session)
    try:
        me = await bot.get_me()
    except TelegramUnauthorizedError:
        return CheckResult(
            "telegram",
            False,
            "BOT_TOKEN is rejected by Telegram (401)",
            "copy the token again from @BotFather",
        )
    except TelegramNetworkError as exc:
        return CheckResult(
            "telegram",
            False,
            f"cannot reach {settings.telegram.api_url}: {exc.message}",
            "check the network or TELEGRAM_API_URL",
        )
    except Exception as exc:
        return CheckResult(
            "telegram", False, f"getMe failed: {_reason(exc)}", "check BOT_TOKEN and TELEGRAM_API_URL"
        )
    finally:
        await session.close()
    return CheckResult("telegram", True, f"bot @{me.username}")


async def check_panel(settings: Settings) -> CheckResult:
    panel = settings.panel
    client = RemnawaveClient(
        panel.url,
        panel.token.get_secret_value(),
        api_version=panel.api_version,
        extra_headers=panel.extra_headers,
        cookies=panel.cookies,
        timeout=TIMEOUT,
        retries=0,
    )
    try:
        stats = await client.system_stats()
        major = await client.api_major()
        squads = [uuid for uuid, _ in await client.list_internal_squads()]
    except PanelAuthError as exc:
        return CheckResult(
            "panel",
            False,
            f"PANEL_TOKEN is rejected by the panel (HTTP {exc.status})",
            "create an API token in the panel (API Tokens) and put it in PANEL_TOKEN",
        )
    except PanelProxyHeadersMissing:
        return CheckResult(
            "panel",
            False,
            f"{panel.url} closed the connection without an answer",
            "the panel expects to sit behind an HTTPS reverse proxy: use its https:// address in PANEL_URL",
        )
    except PanelUnavailable as exc:
        return CheckResult(
            "panel",
            False,
            f"cannot reach {panel.url}: {exc}",
            "check PANEL_URL and that the panel is running",
        )
    except PanelError as exc:
        return CheckResult("panel", False, f"the panel refused: {exc}", "check PANEL_URL and PANEL_TOKEN")
    finally:
        await client.close()
    missing = [s for s in [*panel.squads, *settings.trial.squads] if s not in squads]
    if missing:
        return CheckResult(
            "panel",
            False,
            f"squads not found on the panel: {', '.join(missing)}",
            "correct PANEL_SQUADS / TRIAL_SQUADS (the panel lists squads under Internal squads)",
        )
    return CheckResult("panel", True, f"API {major}.x, {stats.total_users} users")


async def check_webhook(settings: Settings) -> CheckResult:
    base = settings.telegram.webhook_base_url
    if not base:
        return CheckResult("updates", True, "long polling (WEBHOOK_BASE_URL is not set)")
    if not base.startswith("https://") and settings.telegram.api_url == "https://api.telegram.org":
        return CheckResult(
            "updates",
            False,
            "WEBHOOK_BASE_URL must be https:// for Telegram",
            "put the bot behind an HTTPS reverse proxy and use its public https:// address",
        )
    return CheckResult("updates", True, f"webhook at {base}{settings.telegram.webhook_path}")


async def check_provider(settings: Settings, name: str) -> CheckResult:
    """An enabled payment provider: its API answers, and it can reach our notification URL."""
    group = settings.payments[name]
    label = f"payments:{name}"
    public = settings.sales.public_url or settings.telegram.webhook_base_url
    if name != "stars" and not public:
        return CheckResult(
            label,
            False,
            f"{name} cannot deliver payment notifications: no public address",
            "set PUBLIC_URL (or WEBHOOK_BASE_URL) to this server's public https:// address",
        )
    api_url = getattr(group, "api_url", None)
    if not api_url:
        where = f"{public}/webhooks/{name}" if name != "stars" else "Telegram"
        return CheckResult(label, True, f"enabled; notifications via {where}")
    try:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as http, http.get(str(api_url)) as response:
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        return CheckResult(
            label,
            False,
            f"cannot reach {api_url}: {_reason(exc)}",
            f"check {name.upper()}_API_URL and the network",
        )
    return CheckResult(
        label, True, f"{api_url} answers (HTTP {status}); notifications to {public}/webhooks/{name}"
    )


async def check_tax_receipts(settings: Settings) -> CheckResult:
    """Self-employed tax receipts: the tax service lets the shop log in (the answer of a real login)."""
    receipts = settings.tax_receipts
    client = NalogoClient(receipts, SystemClock())
    try:
        await client.ensure_login()
    except CredentialsRejected:
        return CheckResult(
            "tax-receipts", False, "the tax service refused the login", "check NALOGO_INN and NALOGO_PASSWORD"
        )
    except NalogoError as exc:
        return CheckResult(
            "tax-receipts",
            False,
            f"cannot log in to {_where(receipts.api_url)}: {exc}",
            "the service refuses foreign addresses and has outages: check the network, try later",
        )
    finally:
        await client.close()
    return CheckResult("tax-receipts", True, f"logged in to {_where(receipts.api_url)} as {receipts.inn}")


async def run_checks(settings: Settings) -> list[CheckResult]:
    checks: list[tuple[str, Callable[[], Awaitable[CheckResult]]]] = [
        ("database", lambda: check_database(settings)),
        ("redis", lambda: check_redis(settings)),
        ("telegram", lambda: check_telegram(settings)),
        ("panel", lambda: check_panel(settings)),
        ("updates", lambda: check_webhook(settings)),
    ]
    for name, group in settings.payments.items():
        if getattr(group, "enabled", False):
            checks.append((f"payments:{name}", lambda name=name: check_provider(settings, name)))  # type: ignore[misc]
    if settings.tax_receipts.enabled:
        checks.append(("tax-receipts", lambda: check_tax_receipts(settings)))
    return list(await asyncio.gather(*(_timed(name, check) for name, check in checks)))


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def print_report(results: list[CheckResult]) -> None:
    print(f"{'configuration':<18} {'OK':<5} settings are valid")
    for result in results:
        status = "OK" if result.ok else "FAIL"
        line = f"{result.name:<18} {status:<5} {result.detail}"
        if not result.ok and result.fix:
            line += f" -> {result.fix}"
        print(line)
    failed = [r for r in results if not r.ok]
    print()
    print("all checks passed" if not failed else f"{len(failed)} check(s) failed")
