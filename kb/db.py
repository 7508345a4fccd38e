"""Engine creation, SQLite/PostgreSQL differences and schema set-up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel, create_engine

from kb import models  # noqa: F401  (registers the tables)
from kb.errors import StoreError

SCHEMA_VERSION = "1"


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
        SQLModel.metadata.create_all(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc)
        raise StoreError(
            f"cannot open database {make_url(url).render_as_string(hide_password=True)}: "
            f"{reason.splitlines()[0]}"
        ) from exc
    return engine
