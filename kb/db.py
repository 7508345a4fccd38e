"""Engine creation, SQLite/PostgreSQL differences and schema migrations.

The schema version lives in the `meta` table. A new database gets the current schema whole; an older one
is brought up to date on open by the named migrations below, in order, each in the same transaction as
its version bump, under a lock so two processes opening one database do not race."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel, create_engine

from kb import models  # noqa: F401  (registers the tables)
from kb.errors import StoreError

# (name, apply) in order; the schema version is 1 + the number applied. Version 1 is the first released
# schema. Append, never edit or reorder: a database records how far it has come.
Migration = tuple[str, Callable[[Connection], None]]
MIGRATIONS: list[Migration] = []


def schema_version() -> int:
    return 1 + len(MIGRATIONS)


def migrate(engine: Engine) -> list[str]:
    """Create or upgrade the schema; returns the names of the migrations applied."""
    applied: list[str] = []
    with engine.execution_options(kb_write=True).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(4242)"))
        if not inspect(conn).has_table("claim"):
            SQLModel.metadata.create_all(conn)
            _set_version(conn, schema_version())
            return applied
        SQLModel.metadata.create_all(conn)  # tables added since; columns come from migrations
        version = _version(conn)
        for number, (name, apply) in enumerate(MIGRATIONS[version - 1 :], start=version + 1):
            apply(conn)
            _set_version(conn, number)
            applied.append(name)
    return applied


def _version(conn: Connection) -> int:
    value = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar()
    return int(value) if value else 1


def _set_version(conn: Connection, version: int) -> None:
    conn.execute(text("DELETE FROM meta WHERE key = 'schema_version'"))
    conn.execute(text("INSERT INTO meta (key, value) VALUES ('schema_version', :v)"), {"v": str(version)})


def normalise_url(url: str) -> str:
    """Plain `postgresql://` URLs use the psycopg 3 driver that kb installs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, issue BEGIN, so savepoints and rollbacks are real.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # Writers take the write lock up front (BEGIN IMMEDIATE) so two writers queue on the busy timeout
    # instead of failing when a read lock cannot be upgraded.
    write = conn.get_execution_options().get("kb_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str) -> Engine:
    """An engine for `url`, with the schema in place."""
    url = normalise_url(url)
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        migrate(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc)
        raise StoreError(
            f"cannot open database {make_url(url).render_as_string(hide_password=True)}: "
            f"{reason.splitlines()[0]}"
        ) from exc
    return engine
