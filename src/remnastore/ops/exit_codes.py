"""Exit codes of `remnastore run` (and the other commands), documented in docs/operations.md.

A start-up failure prints one line, what is wrong and how to fix it, and exits with its own code. The
configuration errors (a restart cannot help until the seller acts) are listed in ``CONFIGURATION``: the
systemd unit names them in ``RestartPreventExitStatus=``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    #: an unexpected error (traceback at LOG_LEVEL=DEBUG); `check` also exits 1 when a check fails
    UNEXPECTED = 1
    #: invalid settings, or the --env-file named does not exist
    INVALID_SETTINGS = 2
    #: the database schema is behind and AUTO_MIGRATE=false: run `remnastore migrate`
    SCHEMA_BEHIND = 3
    #: Redis cannot be reached (and REDIS_FALLBACK_MEMORY=false)
    REDIS_UNREACHABLE = 4
    #: the database server cannot be reached
    DATABASE_UNREACHABLE = 5
    #: the database named in DATABASE_URL does not exist, or refuses the user or password
    DATABASE_MISSING = 6
    #: Telegram rejects BOT_TOKEN
    BOT_TOKEN_REJECTED = 7
    #: Telegram (TELEGRAM_API_URL) cannot be reached
    TELEGRAM_UNREACHABLE = 8
    #: the catalogue file (CATALOGUE_FILE) is missing or invalid
    CATALOGUE_INVALID = 9
    #: a listener cannot be opened (WEB_PORT or METRICS_PORT busy, or the host not an address here)
    CANNOT_LISTEN = 10


#: codes after which restarting without a change of configuration cannot help
CONFIGURATION = (
    ExitCode.INVALID_SETTINGS,
    ExitCode.SCHEMA_BEHIND,
    ExitCode.DATABASE_MISSING,
    ExitCode.BOT_TOKEN_REJECTED,
    ExitCode.CATALOGUE_INVALID,
)


class StartupError(Exception):
    """A start-up failure with the line shown to the seller and the exit code."""

    def __init__(self, code: ExitCode, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.code = code
        self.problem = problem
        self.fix = fix

    def line(self) -> str:
        return f"remnastore: {self.problem} -> {self.fix} (exit code {int(self.code)})"
