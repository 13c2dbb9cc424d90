"""The database connection: one :class:`Database` per process, one session per unit of work."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any, Literal, NoReturn

from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.dialects.postgresql.dml import OnConflictDoNothing as PgDoNothing
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.dialects.sqlite.dml import OnConflictDoNothing as SqliteDoNothing
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool, StaticPool
from sqlalchemy.sql.visitors import _TraverseInternalsType

from remnastore.db.changes import CustomerChanges, TrackedSession, pop_changes
from remnastore.infra.fencing import verify_fence

log = logging.getLogger(__name__)
Dialect = Literal["postgresql", "sqlite"]
SQLITE_BUSY_TIMEOUT_MS = 5000
#: A pooled PostgreSQL connection unused for longer is pinged before it is handed out (the server may
#: have restarted or a proxy dropped it); one used again sooner is not: a busy shop's connections are,
#: and the asyncpg ping costs three round trips (BEGIN, a statement, ROLLBACK) on every checkout.
PING_AFTER_IDLE_SECONDS = 10.0
_IDLE_SINCE = "remnastore_idle_since"


def normalize_url(url: str) -> str:
    """The async-driver form of a PostgreSQL or SQLite URL (``postgresql://`` -> ``postgresql+asyncpg://``)."""
    url = url.strip()
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise ValueError("unsupported database URL: use postgresql:// or sqlite://")


def is_sqlite_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in str(url.query.get("mode", ""))


def ensure_sqlite_directory(url: URL) -> None:
    """Create the directory of a file-backed SQLite database if it is missing."""
    if url.get_backend_name() == "sqlite" and not is_sqlite_memory(url) and url.database:
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(*, foreign_keys: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    return on_connect


def build_engine(
    url: str,
    *,
    pool_size: int = 10,
    echo: bool = False,
    sqlite_foreign_keys: bool = True,
    pooled: bool = True,
    ping_after_idle: float = PING_AFTER_IDLE_SECONDS,
) -> AsyncEngine:
    """An async engine with the settings this application relies on, for either dialect.

    ``pooled=False`` opens a fresh connection per use (for one-off work such as migrations).
    ``ping_after_idle``: see :data:`PING_AFTER_IDLE_SECONDS`.
    """
    parsed = make_url(normalize_url(url))
    options: dict[str, Any] = {"echo": echo}
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite and is_sqlite_memory(parsed):
        options.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    elif not pooled:
        options.update(poolclass=NullPool)
    else:
        # up to twice ``pool_size`` connections, each kept once opened: with ``pool_size`` kept and as
        # many overflow connections, a burst opened and closed overflow connections all the time
        options.update(pool_size=2 * pool_size, max_overflow=0, pool_timeout=30)
    if not sqlite:
        options.update(connect_args={"timeout": 10, "command_timeout": 60})
        if pooled:
            options.update(pool_recycle=1800)
    else:
        ensure_sqlite_directory(parsed)
    engine = create_async_engine(parsed, **options)
    if sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(foreign_keys=sqlite_foreign_keys))
    elif pooled:
        ping_idle_connections(engine, ping_after_idle)
    return engine


def ping_idle_connections(engine: AsyncEngine, idle_seconds: float) -> None:
    """SQLAlchemy's pessimistic disconnect handling for connections idle longer than ``idle_seconds``
    only: a failed ping makes the pool discard the connection and hand out a fresh one."""
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # a new connection, or one in use a moment ago
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("an idle pooled connection is gone") from exc
        if not alive:
            raise DisconnectionError("an idle pooled connection is gone")

    event.listen(pool, "checkin", checkin)
    event.listen(pool, "checkout", checkout)


class Database:
    """The engine and session factory.

    ``session()`` is the unit of work: it commits when the block ends normally and rolls back when it
    raises. Repositories never commit on their own. Inside a scheduled job run, the run's fence is
    verified before the commit (:mod:`remnastore.infra.fencing`). After a commit that changed customer rows,
    ``on_customers_changed`` (if set) is awaited with them: caches of customers are invalidated there.
    """

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        echo: bool = False,
        ping_after_idle: float = PING_AFTER_IDLE_SECONDS,
    ) -> None:
        self.url = normalize_url(url)
        self.engine: AsyncEngine = build_engine(
            self.url, pool_size=pool_size, echo=echo, ping_after_idle=ping_after_idle
        )
        self.sessionmaker: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=TrackedSession
        )
        # PostgreSQL: statements that commit one by one, without BEGIN and COMMIT round trips (SQLite's
        # are calls inside the process, and its single shared in-memory connection must not switch)
        self._statementwise: async_sessionmaker[AsyncSession] = (
            async_sessionmaker(
                self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
                sync_session_class=TrackedSession,
            )
            if self.engine.dialect.name == "postgresql"
            else self.sessionmaker
        )
        # SQLite: one writer at a time. Short write units queue here, in order, instead of colliding
        # in SQLite, whose busy handler retries a locked database after sleeps of up to 100 ms
        self._sqlite_writer: asyncio.Lock | None = (
            asyncio.Lock() if self.engine.dialect.name == "sqlite" else None
        )
        self.on_customers_changed: Callable[[CustomerChanges], Awaitable[None]] | None = None

    @property
    def dialect(self) -> Dialect:
        name = self.engine.dialect.name
        if name not in ("postgresql", "sqlite"):  # pragma: no cover - normalize_url refuses others
            raise RuntimeError(f"unsupported dialect {name}")
        return "postgresql" if name == "postgresql" else "sqlite"

    @asynccontextmanager
    async def session(self, *, statementwise: bool = False) -> AsyncIterator[AsyncSession]:
        """A unit of work: one transaction, committed at the end of the block, rolled back if it raises.

        ``statementwise=True`` is for a unit whose statements each stand alone (reads, an ``INSERT ...
        ON CONFLICT``, a single ``UPDATE``): on PostgreSQL every statement commits by itself, which saves
        the BEGIN and COMMIT round trips (two of a lone statement's three), and an error does not undo
        the statements before it. On SQLite such units take turns in the process (see
        ``_sqlite_writer``). Cached customers are invalidated after it the same way.
        """
        maker = self._statementwise if statementwise else self.sessionmaker
        turn: AbstractAsyncContextManager[Any] = nullcontext()
        if statementwise and self._sqlite_writer is not None:
            turn = self._sqlite_writer  # SQLite: wait for this process's turn to write
        async with turn, maker() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                pop_changes(session.sync_session)
                raise
            else:
                try:
                    await verify_fence()
                except BaseException:
                    await session.rollback()
                    pop_changes(session.sync_session)
                    raise
                await session.commit()
                changes = pop_changes(session.sync_session)
                if changes is not None and self.on_customers_changed is not None:
                    try:
                        await self.on_customers_changed(changes)
                    except Exception:  # the work is committed: a cache problem must not undo that
                        log.exception("could not invalidate cached customers")

    async def ping(self) -> float:
        """Round-trip time of ``SELECT 1`` in seconds; raises if the database is unreachable."""
        started = time.perf_counter()
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return time.perf_counter() - started

    async def dispose(self) -> None:
        await self.engine.dispose()


def dialect_of(session: AsyncSession) -> Dialect:
    return "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"


def driverless_dialect(session: AsyncSession, **options: Any) -> DefaultDialect:
    """The session's dialect without its driver (no driver's casts or paramstyle), for SQL compiled into
    the text of a statement; ``options`` as for the dialect (e.g. ``paramstyle="named"``)."""
    dialect: type[DefaultDialect] = PGDialect if dialect_of(session) == "postgresql" else SQLiteDialect
    return dialect(**options)


def dialect_insert(session: AsyncSession, entity: Any) -> PgInsert | SqliteInsert:
    """An ``INSERT`` with ``on_conflict_do_nothing``/``_do_update`` for the session's dialect."""
    return pg_insert(entity) if dialect_of(session) == "postgresql" else sqlite_insert(entity)


def _fixed_conflict_clause(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise TypeError("this INSERT always ends with ON CONFLICT DO NOTHING; use dialect_insert for others")


class _PgDoNothing(PgDoNothing):
    """``ON CONFLICT DO NOTHING`` without a target: no state, so the class alone is its cache key (as for
    SQLAlchemy's own stateless elements such as ``true()``)."""

    _traverse_internals: _TraverseInternalsType = []  # noqa: RUF012 (SQLAlchemy declares it so)


class _SqliteDoNothing(SqliteDoNothing):
    _traverse_internals: _TraverseInternalsType = []  # noqa: RUF012 (SQLAlchemy declares it so)


class PgInsertIgnoring(PgInsert):
    """PostgreSQL's ``INSERT ... ON CONFLICT DO NOTHING`` (no conflict target) that SQLAlchemy caches.

    SQLAlchemy's dialect ``Insert`` and its ON CONFLICT clauses opt out of the statement cache, so each
    execution compiled afresh. Here the clause is a fixed, stateless one; the rest of the statement is a
    standard ``Insert`` (table, values, returning), whose cache key tells the SQL apart.
    """

    inherit_cache = True
    on_conflict_do_nothing = _fixed_conflict_clause
    on_conflict_do_update = _fixed_conflict_clause

    def __init__(self, table: Any) -> None:
        super().__init__(table)
        self._post_values_clause = _PgDoNothing()


class SqliteInsertIgnoring(SqliteInsert):
    """SQLite's ``INSERT ... ON CONFLICT DO NOTHING``, cached (see :class:`PgInsertIgnoring`)."""

    inherit_cache = True
    on_conflict_do_nothing = _fixed_conflict_clause
    on_conflict_do_update = _fixed_conflict_clause

    def __init__(self, table: Any) -> None:
        super().__init__(table)
        self._post_values_clause = _SqliteDoNothing()


def insert_ignoring_conflicts(session: AsyncSession, entity: Any) -> PgInsertIgnoring | SqliteInsertIgnoring:
    """``dialect_insert(session, entity).on_conflict_do_nothing()``, compiled once per shape and dialect
    and then taken from SQLAlchemy's statement cache (for statements executed on hot paths)."""
    if dialect_of(session) == "postgresql":
        return PgInsertIgnoring(entity)
    return SqliteInsertIgnoring(entity)
