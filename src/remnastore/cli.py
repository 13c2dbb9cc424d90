"""Command line: run, migrate, check, backup, restore, import, version, sandbox.

Start-up failures print one line (what is wrong -> how to fix it) and exit with a documented code
(remnastore.ops.exit_codes, docs/operations.md); the traceback is logged at LOG_LEVEL=DEBUG only.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from remnastore import __version__
from remnastore.config import DatabaseSettings, Settings, load_database_settings, load_settings
from remnastore.infra.logging import configure_logging
from remnastore.ops import backup_cli
from remnastore.ops.exit_codes import ExitCode, StartupError
from remnastore.ops.importers import cli as import_cli
from remnastore.ops.workers import refusal, run_workers, worker_settings, workers_arg
from remnastore.settings_base import ConfigError

log = logging.getLogger("remnastore")


#: The collector's thresholds while the shop runs (Python's are 700, 10, 10). An update allocates
#: thousands of objects that nearly all die with it; collecting the youngest generation every 20,000
#: allocations instead of every 700 lets them die first instead of being traced and promoted, which cut
#: the CPU per button press by about 6% (docs/performance.md). A young collection of 20,000 objects
#: still takes well under a millisecond.
GC_THRESHOLDS = (20_000, 20, 20)


def _settings_or_exit(env_file: str) -> Settings:
    try:
        return load_settings(env_file)
    except ConfigError as exc:
        print("Configuration is invalid; fix these variables (environment or .env):", file=sys.stderr)
        for name, reason in exc.problems.items():
            print(f"  {name}: {reason}", file=sys.stderr)
        raise SystemExit(ExitCode.INVALID_SETTINGS) from None


def _database_settings_or_exit(env_file: str) -> DatabaseSettings:
    try:
        return load_database_settings(env_file)
    except ConfigError as exc:
        for name, reason in exc.problems.items():
            print(f"  {name}: {reason}", file=sys.stderr)
        raise SystemExit(ExitCode.INVALID_SETTINGS) from None


def _env_file_or_exit(env_file: str | None) -> str:
    """The settings file: `.env` when it exists (optional), or the one named with --env-file (required)."""
    if env_file is None:
        return ".env"
    if not Path(env_file).is_file():
        error = StartupError(
            ExitCode.INVALID_SETTINGS,
            f"the settings file {env_file} does not exist",
            "create it (cp .env.example .env, then fill it in) or correct --env-file",
        )
        print(error.line(), file=sys.stderr)
        raise SystemExit(error.code)
    return env_file


def _failed(error: StartupError) -> int:
    """One line for the seller; the traceback only at debug level."""
    print(error.line(), file=sys.stderr, flush=True)
    log.debug("start-up failure", exc_info=error.__cause__ or error)
    return int(error.code)


def _startup_error(exc: BaseException, settings: Settings) -> StartupError:
    """What an exception raised while starting means for the seller."""
    import errno

    from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

    from remnastore.domain.catalogue import CatalogueError

    if isinstance(exc, StartupError):
        return exc
    if isinstance(exc, TelegramUnauthorizedError):
        return StartupError(
            ExitCode.BOT_TOKEN_REJECTED,
            "Telegram rejects BOT_TOKEN (401 Unauthorized)",
            "copy the token again from @BotFather into BOT_TOKEN",
        )
    if isinstance(exc, TelegramNetworkError):
        return StartupError(
            ExitCode.TELEGRAM_UNREACHABLE,
            f"cannot reach Telegram at {settings.telegram.api_url}: {exc.message}",
            "check the network (DNS, firewall, proxy) or TELEGRAM_API_URL",
        )
    if isinstance(exc, CatalogueError | IsADirectoryError):
        return StartupError(
            ExitCode.CATALOGUE_INVALID,
            f"the catalogue cannot be used: {exc}",
            "correct CATALOGUE_FILE or the file; `remnastore check` names the entry",
        )
    if isinstance(exc, OSError) and exc.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
        web = settings.web
        return StartupError(
            ExitCode.CANNOT_LISTEN,
            f"cannot listen on {web.host}:{web.port} or {web.metrics_host}:{web.metrics_port}: "
            f"{exc.strerror}",
            "stop whatever uses the port or change WEB_PORT / METRICS_PORT (and WEB_HOST / METRICS_HOST)",
        )
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return StartupError(
        ExitCode.UNEXPECTED,
        f"start-up failed: {type(exc).__name__}: {first_line[:200]}",
        "run with LOG_LEVEL=DEBUG for the traceback, and `remnastore check`",
    )


async def _prepare_database(settings: Settings) -> None:
    from remnastore.db import migrate
    from remnastore.ops.check import database_error

    url = settings.database.url
    try:
        up_to_date = await migrate.is_up_to_date(url)
    except Exception as exc:
        raise database_error(exc, url) from exc
    if up_to_date:
        return
    if not settings.database.auto_migrate:
        raise StartupError(
            ExitCode.SCHEMA_BEHIND,
            "the database schema is not up to date and AUTO_MIGRATE=false",
            "run `remnastore migrate` first",
        )
    log.info("applying database migrations")
    await migrate.upgrade(url)


async def _run(settings: Settings, *, workers: int = 1) -> int:
    from remnastore.app import Application

    try:
        await _prepare_database(settings)
    except Exception as exc:
        error = _startup_error(exc, settings)
        error.__cause__ = exc.__cause__ or exc
        return _failed(error)
    if settings.redis.url is not None and not await _redis_reachable(settings):
        if not settings.redis.fallback_memory:
            return _failed(
                StartupError(
                    ExitCode.REDIS_UNREACHABLE,
                    f"Redis at {_without_password(settings.redis.url)} cannot be reached",
                    "start Redis or correct REDIS_URL (or, for a single instance, set "
                    "REDIS_FALLBACK_MEMORY=true to keep state in memory)",
                )
            )
        log.warning("Redis cannot be reached: running with in-memory state (REDIS_FALLBACK_MEMORY=true)")
        settings.redis.url = None
    try:
        app = Application(settings, workers=workers)
    except Exception as exc:
        error = _startup_error(exc, settings)
        error.__cause__ = exc
        return _failed(error)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals_seen = 0

    def on_signal() -> None:
        nonlocal signals_seen
        signals_seen += 1
        if signals_seen > 1:
            log.warning("second signal: exiting at once")
            raise SystemExit(1)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    try:
        await app.start()
    except Exception as exc:
        error = _startup_error(exc, settings)
        error.__cause__ = exc
        await app.stop()
        return _failed(error)
    # Everything built at start lives as long as the process: keep it out of the collector's way, so
    # that full collections stay short while updates are being answered.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    loop_kind = type(asyncio.get_running_loop()).__module__.split(".")[0]
    log.info("remnastore %s is running (event loop: %s)", __version__, loop_kind)
    if app.ops.shop_health.sells_example_catalogue:
        log.warning(
            "you are selling the example prices: copy src/remnastore/catalogue/default.toml, put your "
            "tariffs and prices in it and set CATALOGUE_FILE"
        )
    await stop.wait()
    log.info("stopping")
    await app.stop()
    return 0


def _run_workers(settings: Settings, workers: int) -> int:
    """``remnastore run``: one process, or ``workers`` forked processes on one port."""

    def run_one(index: int = 0) -> int:
        with asyncio.Runner(loop_factory=loop_factory(settings.performance.event_loop)) as runner:
            return runner.run(_run(worker_settings(settings, index), workers=workers))

    if workers == 1:
        return run_one()
    refused = refusal(settings, workers)
    if refused is not None:
        return _failed(refused)
    return run_workers(workers, run_one)


def loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when asked for or (``auto``) installed; None means asyncio's default loop."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise SystemExit("EVENT_LOOP=uvloop but uvloop is not installed: pip install uvloop") from None
        return None
    return uvloop.new_event_loop


async def _redis_reachable(settings: Settings) -> bool:
    """Try Redis a few times with exponential back-off (1, 2, 4 ... seconds)."""
    from redis.asyncio import Redis

    assert settings.redis.url is not None
    for attempt in range(settings.redis.connect_attempts):
        client = Redis.from_url(settings.redis.url, socket_connect_timeout=3, socket_timeout=3)
        try:
            await client.ping()  # type: ignore[misc]
            return True
        except Exception as exc:
            log.warning("Redis is not answering (attempt %d): %s", attempt + 1, type(exc).__name__)
        finally:
            await client.aclose()
        if attempt + 1 < settings.redis.connect_attempts:
            await asyncio.sleep(min(30, 2**attempt))
    return False


def _without_password(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"


async def _migrate(database: DatabaseSettings) -> int:
    from remnastore.db import migrate
    from remnastore.ops.check import database_error

    try:
        before = await migrate.current_revision(database.url)
    except Exception as exc:
        error = database_error(exc, database.url)
        error.__cause__ = exc
        return _failed(error)
    await migrate.upgrade(database.url)
    after = await migrate.current_revision(database.url)
    print(f"database schema: {before or 'empty'} -> {after}")
    return 0


async def _check(settings: Settings) -> int:
    from remnastore.ops.check import print_report, run_checks

    results = await run_checks(settings)
    print_report(results)
    return 0 if all(r.ok for r in results) else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="remnastore", description="Telegram VPN shop on a Remnawave panel")
    env_help = "settings file read besides the environment (default: .env when it exists)"
    parser.add_argument("--env-file", default=None, help=env_help)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot, its web server and jobs")
    run.add_argument(
        "--workers",
        type=workers_arg,
        default=1,
        help="processes sharing the web port (webhook mode, PostgreSQL and Redis); 'auto' = one per core",
    )
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("check", help="validate settings and reach Telegram, the panel, the database and Redis")
    sub.add_parser("version", help="print the version")
    sandbox = sub.add_parser(
        "sandbox", help="try the whole shop in a browser: the bot with emulated Telegram, panel and payments"
    )
    sandbox.add_argument("--port", type=int, default=8090, help="port of the chat page")
    sandbox.add_argument(
        "--host",
        default="127.0.0.1",
        help="address of this machine the chat page listens on (default 127.0.0.1); another one, e.g. the"
        " server's LAN address, opens the sandbox to that network (an SSH tunnel keeps it private)",
    )
    sandbox.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where the sandbox database goes (default: a temporary directory)",
    )
    backup_cli.add_commands(sub)
    import_cli.add_commands(sub)
    for command in sub.choices.values():  # `remnastore check --env-file x` works as well
        command.add_argument("--env-file", default=argparse.SUPPRESS, help=env_help)
    args = parser.parse_args(argv)
    if args.command == "version":
        print(__version__)
        return 0
    if args.command == "sandbox":
        from remnastore.sandbox.run import serve

        configure_logging("WARNING", "text", [])
        return asyncio.run(serve(args.port, args.data_dir, args.host))
    env_file = _env_file_or_exit(args.env_file)
    if args.command == "migrate":
        configure_logging("WARNING", "text", [])
        return asyncio.run(_migrate(_database_settings_or_exit(env_file)))
    if args.command in backup_cli.COMMANDS:
        # needs only DATABASE_URL, REDIS_URL and BACKUP_*: a backup must work while other settings are wrong
        configure_logging("WARNING", "text", [])
        try:
            scope = backup_cli.load_scope(env_file)
        except ConfigError as exc:
            print("Configuration is invalid; fix these variables (environment or .env):", file=sys.stderr)
            for name, reason in exc.problems.items():
                print(f"  {name}: {reason}", file=sys.stderr)
            return int(ExitCode.INVALID_SETTINGS)
        return asyncio.run(backup_cli.run_command(args, scope))
    settings = _settings_or_exit(env_file)
    fmt = settings.log.format if args.command == "run" else "text"
    level = settings.log.level if args.command == "run" else "WARNING"
    configure_logging(level, fmt, settings.secrets())
    if args.command == "run":
        return _run_workers(settings, args.workers)
    if args.command in import_cli.COMMANDS:
        return asyncio.run(import_cli.run_command(args, settings))
    return asyncio.run(_check(settings))


if __name__ == "__main__":
    raise SystemExit(main())
