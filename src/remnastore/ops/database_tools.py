"""The database side of backups: PostgreSQL client tools (pg_dump, pg_restore) and SQLite copies.

Connection parameters reach the PostgreSQL tools through ``PG*`` environment variables, so the password
never appears on a command line (where ``ps`` would show it).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from remnastore.db.session import build_engine, is_sqlite_memory, normalize_url

CONNECT_TIMEOUT_SECONDS = 10
_VERSION_RE = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


class DatabaseToolError(Exception):
    """A dump or restore step failed; the message says what to do."""


def parse_database_url(url: str) -> URL:
    return make_url(normalize_url(url))


def dialect_of_url(url: str) -> str:
    return "sqlite" if parse_database_url(url).get_backend_name() == "sqlite" else "postgresql"


def where(url: str) -> str:
    """A database URL fit for messages: no password."""
    return parse_database_url(url).render_as_string(hide_password=True)


def sqlite_path(url: str) -> Path:
    parsed = parse_database_url(url)
    if is_sqlite_memory(parsed) or not parsed.database:
        raise DatabaseToolError("an in-memory SQLite database cannot be backed up or restored")
    return Path(parsed.database).expanduser()


# ------------------------------------------------------------------------------------------ PostgreSQL


@dataclass(frozen=True)
class PgTarget:
    database: str
    environment: dict[str, str]

    @classmethod
    def from_url(cls, url: str) -> PgTarget:
        parsed = parse_database_url(url)
        if not parsed.database:
            raise DatabaseToolError("DATABASE_URL names no database")
        env = {"PGCONNECT_TIMEOUT": str(CONNECT_TIMEOUT_SECONDS), "PGDATABASE": parsed.database}
        if parsed.host:
            env["PGHOST"] = parsed.host
        if parsed.port:
            env["PGPORT"] = str(parsed.port)
        if parsed.username:
            env["PGUSER"] = parsed.username
        if parsed.password:
            env["PGPASSWORD"] = str(parsed.password)
        ssl = parsed.query.get("sslmode") or parsed.query.get("ssl")
        if isinstance(ssl, str) and ssl:
            env["PGSSLMODE"] = {"true": "require", "false": "disable"}.get(ssl.lower(), ssl)
        return cls(parsed.database, env)

    @property
    def conninfo_dbname(self) -> str:
        """``dbname='...'`` for ``--dbname`` (a conninfo string, so any database name is safe)."""
        escaped = self.database.replace("\\", "\\\\").replace("'", "\\'")
        return f"dbname='{escaped}'"


def find_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise DatabaseToolError(
            f"{name} was not found on PATH. Install the PostgreSQL client tools of the same major version "
            "as the server (Debian/Ubuntu: apt install postgresql-client-15; the Docker image has them)."
        )
    return path


async def run_tool(
    args: list[str], *, env: dict[str, str] | None = None, time_limit: float
) -> tuple[int, str, str]:
    """Run a command; (exit code, stdout, stderr). The process is killed after ``time_limit`` seconds."""
    process = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), time_limit)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise DatabaseToolError(f"{Path(args[0]).name} did not finish within {time_limit:.0f} s") from None
    return process.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")


async def tool_version(tool: str) -> tuple[int, str]:
    """(major version, full version line) of a PostgreSQL client tool."""
    code, out, err = await run_tool([find_tool(tool), "--version"], time_limit=30)
    match = _VERSION_RE.search(out)
    if code != 0 or match is None:
        raise DatabaseToolError(f"cannot tell the version of {tool}: {(out or err).strip()[:200]}")
    return int(match.group(1)), out.strip()


async def server_version(url: str) -> tuple[int, str]:
    """(major version, version string) of the PostgreSQL server at ``url``."""
    engine = build_engine(url, pooled=False)
    try:
        async with engine.connect() as connection:
            number = int((await connection.execute(text("SHOW server_version_num"))).scalar_one())
            full = str((await connection.execute(text("SHOW server_version"))).scalar_one())
    except Exception as exc:
        raise DatabaseToolError(f"cannot connect to {where(url)}: {type(exc).__name__}: {exc}") from None
    finally:
        await engine.dispose()
    return number // 10000, full.split()[0]


async def pg_dump(url: str, out: Path, *, time_limit: float) -> tuple[str, str]:
    """Dump the database at ``url`` into ``out`` (custom format); (server version, pg_dump version)."""
    server_major, server_full = await server_version(url)
    tool_major, tool_line = await tool_version("pg_dump")
    if tool_major < server_major:
        raise DatabaseToolError(
            f"pg_dump {tool_major} cannot dump a PostgreSQL {server_major} server: install the client "
            f"tools version {server_major} (e.g. apt install postgresql-client-{server_major})"
        )
    target = PgTarget.from_url(url)
    args = [find_tool("pg_dump"), "--format=custom", f"--file={out}"]
    code, _, err = await run_tool(args, env=target.environment, time_limit=time_limit)
    if code != 0:
        raise DatabaseToolError(f"pg_dump failed (exit code {code}): {err.strip()[-800:]}")
    return server_full, tool_line


async def pg_restore(url: str, dump: Path, *, time_limit: float) -> None:
    """Restore a custom-format dump into the database at ``url``, replacing the objects it contains,
    in one transaction (all or nothing)."""
    await server_version(url)  # a clear message when the target cannot be reached
    await tool_version("pg_restore")
    target = PgTarget.from_url(url)
    args = [
        find_tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={target.conninfo_dbname}",
        str(dump),
    ]
    code, _, err = await run_tool(args, env=target.environment, time_limit=time_limit)
    if code != 0:
        raise DatabaseToolError(f"pg_restore failed (exit code {code}): {err.strip()[-800:]}")


# -------------------------------------------------------------------------------------------- SQLite


def sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (online backup API) as one self-contained file."""
    if not source.exists():
        raise DatabaseToolError(f"the SQLite database {source} does not exist")
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
            dst.commit()
        finally:
            dst.close()
    finally:
        src.close()


def sqlite_check(path: Path) -> None:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = connection.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DatabaseToolError(f"the SQLite file in the archive is not a database: {exc}") from None
    finally:
        connection.close()
    if result is None or result[0] != "ok":
        raise DatabaseToolError(f"the SQLite file in the archive fails its integrity check: {result}")


def sqlite_replace(target: Path, replacement: Path) -> Path | None:
    """Put ``replacement`` in place of the database file ``target`` with one atomic rename.

    The current database (if any) is first saved next to it as ``<name>.pre-restore``; its write-ahead
    log files are removed (they belong to the old file and would corrupt the new one). Returns the path
    of the saved copy.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(replacement, staged)
    with staged.open("rb") as handle:
        os.fsync(handle.fileno())
    saved: Path | None = None
    if target.exists():
        saved = target.with_name(target.name + ".pre-restore")
        sqlite_copy(target, saved)
    for suffix in ("-wal", "-shm", "-journal"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(staged, target)
    return saved
