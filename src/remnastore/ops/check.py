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
from remnastore.domain.catalogue import CatalogueError, load_catalogue, uses_example_catalogue
from remnastore.infra.clock import SystemClock
from remnastore.ops.exit_codes import ExitCode, StartupError
from remnastore.ops.panel_check import check_panel_access
from remnastore.receipts.client import CredentialsRejected, NalogoClient, NalogoError

TIMEOUT = 10.0


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    seconds: float = 0.0
    #: works, but the seller should look at it (printed as WARN; does not fail the check)
    warning: bool = False


def _where(url: str) -> str:
    """A URL without credentials, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}" if host else url.split("?")[0]


async def _timed(
    name: str, check: Callable[[], Awaitable[CheckResult | list[CheckResult]]], limit: float = TIMEOUT
) -> list[CheckResult]:
    started = time.perf_counter()
    try:
        answer = await asyncio.wait_for(check(), limit)
    except TimeoutError:
        answer = CheckResult(
            name, False, f"no answer within {limit:.0f} s", "check the address and the network"
        )
    seconds = time.perf_counter() - started
    return [
        CheckResult(r.name, r.ok, r.detail, r.fix, seconds, r.warning)
        for r in (answer if isinstance(answer, list) else [answer])
    ]


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything it wraps (SQLAlchemy's ``orig``, ``__cause__``, ``__context__``)."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        orig = getattr(current, "orig", None)
        pending += [orig if isinstance(orig, BaseException) else None, current.__cause__, current.__context__]
    return seen


def database_error(exc: BaseException, url: str) -> StartupError:
    """What a failure to open the database means for the seller, and the fix."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "remnastore"
    states = {str(getattr(e, "sqlstate", "")) for e in _causes(exc)}
    if "3D000" in states:
        return StartupError(
            ExitCode.DATABASE_MISSING,
            f"the database {name!r} does not exist on {_where(url)}",
            f"create the database (e.g. sudo -u postgres createdb --owner {parts.username or 'remnastore'} "
            f"{name}), then start again",
        )
    if states & {"28P01", "28000"}:
        return StartupError(
            ExitCode.DATABASE_MISSING,
            f"{_where(url)} refuses the user {parts.username or '(none)'!r} or its password",
            "correct the user and password in DATABASE_URL (compose: POSTGRES_PASSWORD)",
        )
    if url.startswith("sqlite") and "unable to open database file" in " ".join(str(e) for e in _causes(exc)):
        return StartupError(
            ExitCode.DATABASE_MISSING,
            f"the SQLite file {parts.path.lstrip('/')!r} cannot be created or opened",
            "create its directory (and let the shop's user write there) or correct DATABASE_URL",
        )
    return StartupError(
        ExitCode.DATABASE_UNREACHABLE,
        f"cannot connect to {_where(url)}: {_reason(exc)}",
        "start the database server or correct DATABASE_URL",
    )


async def check_database(settings: Settings) -> CheckResult:
    from remnastore.db import migrate
    from remnastore.db.session import Database

    url = settings.database.url
    db = Database(url, pool_size=1)
    try:
        await db.ping()
    except Exception as exc:
        error = database_error(exc, url)
        return CheckResult("database", False, error.problem, error.fix)
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


async def check_panel(settings: Settings) -> list[CheckResult]:
    """The panel: reach, the token's permissions, the squads named, device limiting (ops.panel_check)."""
    try:
        findings = await check_panel_access(settings)
    except Exception as exc:  # a check reports, it never raises
        detail = f"calling {_where(settings.panel.url)} failed: {type(exc).__name__}"
        return [CheckResult("panel", False, detail, "check PANEL_URL and PANEL_TOKEN")]
    return [CheckResult(f.name, f.ok, f.detail, f.fix, warning=f.warning) for f in findings]


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


async def check_catalogue(settings: Settings) -> CheckResult:
    """The catalogue file exists and parses, every price and period is valid; the example is flagged."""
    path = settings.sales.catalogue_file
    try:
        catalogue = load_catalogue(path)
    except CatalogueError as exc:
        return CheckResult("catalogue", False, str(exc), "correct CATALOGUE_FILE or the entry named")
    except OSError as exc:
        detail = f"cannot read {path}: {_reason(exc)}"
        return CheckResult("catalogue", False, detail, "correct CATALOGUE_FILE")
    summary = f"{len(catalogue.tariffs)} tariff(s)"
    if uses_example_catalogue(path):
        return CheckResult(
            "catalogue",
            True,
            f"you are selling the example prices ({summary} of the shipped example catalogue)",
            "copy src/remnastore/catalogue/default.toml, put your tariffs and prices in it, "
            "set CATALOGUE_FILE to it",
            warning=True,
        )
    return CheckResult("catalogue", True, f"{path}: {summary}")


async def check_admins(settings: Settings) -> CheckResult:
    admins = settings.telegram.admin_ids
    if not admins:
        return CheckResult(
            "admins",
            True,
            "ADMIN_IDS is empty: nobody can open the admin menu or receive alerts",
            "put your Telegram user id in ADMIN_IDS (comma-separated for several admins)",
            warning=True,
        )
    return CheckResult("admins", True, f"{len(admins)} admin(s)")


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
    checks: list[tuple[str, Callable[[], Awaitable[CheckResult | list[CheckResult]]]]] = [
        ("catalogue", lambda: check_catalogue(settings)),
        ("admins", lambda: check_admins(settings)),
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
    timeouts = {"panel": TIMEOUT * 4}  # several calls, each with its own timeout
    groups = await asyncio.gather(
        *(_timed(name, check, timeouts.get(name, TIMEOUT)) for name, check in checks)
    )
    return [result for group in groups for result in group]


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def print_report(results: list[CheckResult]) -> None:
    print(f"{'configuration':<18} {'OK':<5} settings are valid")
    for result in results:
        status = "FAIL" if not result.ok else "WARN" if result.warning else "OK"
        line = f"{result.name:<18} {status:<5} {result.detail}"
        if (not result.ok or result.warning) and result.fix:
            line += f" -> {result.fix}"
        print(line)
    failed = [r for r in results if not r.ok]
    warned = [r for r in results if r.ok and r.warning]
    print()
    summary = "all checks passed" if not failed else f"{len(failed)} check(s) failed"
    print(summary + (f", {len(warned)} warning(s)" if warned else ""))
