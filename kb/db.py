"""Engine creation, SQLite/PostgreSQL differences and schema migrations.

The schema version lives in the `meta` table. A new database gets the current schema whole; an older one
is brought up to date on open by the named migrations below, in order, each in the same transaction as
its version bump, under a lock so two processes opening one database do not race.

Opening a database that is up to date runs one query and loads neither SQLModel nor kb's table classes:
they are imported only to create or upgrade a schema, so that `kb entity` (which reads through
`kb.profile`) starts without them."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from kb.errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy import MetaData

# (name, apply) in order; the schema version is 1 + the number applied. Version 1 is the first released
# schema. Append, never edit or reorder: a database records how far it has come.
Migration = tuple[str, Callable[[Connection], None]]
ENTITY_COUNT = "@"  # term_stat key prefix of "claims about entity N" counters
CLAIM_COUNT = "#claims"  # term_stat key of the number of claims
CURATIONS = "#curations"  # term_stat key counting entity curations (merges, aliases, kinds, ...)
DECISIONS = "#decisions"  # term_stat key counting analysts' decisions on claims and links
TALLY = "~"  # term_stat key prefix of "claims naming entity N of kind K in state S": ~N/K/S


def tally_key(entity_id: int, kind: str, state: str) -> str:
    return f"{TALLY}{entity_id}/{kind}/{state}"


def index_claims(conn: Connection, batch: int = 5000) -> None:
    """Rebuild what ingest keeps up to date beside the claims: the term postings and the claim and
    per-entity counters in term_stat (term counts themselves are kept as they are)."""
    conn.execute(text("DELETE FROM posting"))
    rows = conn.execute(text("SELECT id, terms FROM claim ORDER BY id")).all()
    for i in range(0, len(rows), batch):
        postings = [{"t": t, "c": cid} for cid, terms in rows[i : i + batch] for t in set(terms.split())]
        if postings:
            conn.execute(text("INSERT INTO posting (term, claim_id) VALUES (:t, :c)"), postings)
    count_claims(conn)


def count_claims(conn: Connection, entity_ids: Collection[int] | None = None) -> None:
    """Recount the claim counter and the per-entity counters (claims about it; claims naming it by kind
    and state) from the claims and their mentions; with `entity_ids`, only those entities' counters
    (after a merge moved their mentions)."""
    if entity_ids is None:
        conn.execute(
            text("DELETE FROM term_stat WHERE term LIKE '@%' OR term LIKE '~%' OR term = :k"),
            {"k": CLAIM_COUNT},
        )
        conn.execute(
            text("INSERT INTO term_stat (term, df) SELECT :k, count(*) FROM claim"), {"k": CLAIM_COUNT}
        )
        only, params = "", {}
    else:
        for e in sorted(entity_ids):
            conn.execute(
                text("DELETE FROM term_stat WHERE term = :about OR term LIKE :tallies"),
                {"about": f"{ENTITY_COUNT}{e}", "tallies": f"{TALLY}{e}/%"},
            )
        only, params = " AND m.entity_id IN :ids", {"ids": sorted(entity_ids)}
    about = text(
        "INSERT INTO term_stat (term, df) SELECT :p || CAST(m.entity_id AS TEXT), count(*) FROM mention m "
        f"WHERE m.role = 'subject'{only} GROUP BY m.entity_id"
    )
    tallies = text(
        "INSERT INTO term_stat (term, df) SELECT :t || CAST(m.entity_id AS TEXT) || '/' || c.kind || '/' "
        "|| c.state, count(*) FROM mention m JOIN claim c ON c.id = m.claim_id "
        f"WHERE m.role != 'context'{only} GROUP BY m.entity_id, c.kind, c.state"
    )
    if only:
        about, tallies = (q.bindparams(bindparam("ids", expanding=True)) for q in (about, tallies))
    conn.execute(about, {"p": ENTITY_COUNT, **params})
    conn.execute(tallies, {"t": TALLY, **params})


# Indexes for `kb entity`. The mention index (entity, claim) gains the role, so an entity's claims are
# counted and walked from the newest in the index alone. On PostgreSQL, claim (id, kind, state) lets the
# counts by state join mention to claim by index: its planner otherwise hashes the whole claim table, even
# for an entity in a few thousand claims. SQLite's planner always takes the rowid instead, so SQLite does
# without that one (and without its cost on every claim written).
CLAIM_STATE_INDEX = "CREATE INDEX IF NOT EXISTS ix_claim_id_kind_state ON claim (id, kind, state)"


def _claim_state_index(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text(CLAIM_STATE_INDEX))


def profile_indexes(conn: Connection) -> None:
    conn.execute(text("DROP INDEX IF EXISTS ix_mention_entity_claim"))
    conn.execute(
        text("CREATE INDEX IF NOT EXISTS ix_mention_entity_claim_role ON mention (entity_id, claim_id, role)")
    )
    _claim_state_index(conn)


# For the ingest's reads of claims' backing (each story's source and weight, for every evidence row of
# the claims whose states it derives): on SQLite, a story's weight comes after its text in the row, so
# reading it from the table reads the whole story; the index holds what those reads need. PostgreSQL
# keeps long text apart from the row, and does without it. (Superseded by the evidence rows' own copy,
# `evidence_backing` below, which drops it.)
STORY_BACKING_INDEX = "CREATE INDEX IF NOT EXISTS ix_story_backing ON story (id, source_id, weight)"


def story_backing_index(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(text(STORY_BACKING_INDEX))


def _add_columns(conn: Connection, table: str, columns: dict[str, str]) -> None:
    """Add the columns (name -> SQL type) that the table lacks: a table created by this version of kb
    (`create_all` before the migrations) already has them."""
    have = {c["name"] for c in inspect(conn).get_columns(table)}
    for name, kind in columns.items():
        if name not in have:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {kind}"))


def claim_traits(conn: Connection) -> None:
    """A column for what matching reads from a claim's text besides its terms; older claims keep it
    empty (null), and matching works those out from their text."""
    _add_columns(conn, "claim", {"traits": "TEXT"})


def evidence_backing(conn: Connection) -> None:
    """Evidence rows carry their story's source and weight, in place of the story index above; a
    claim's evidence is read by the unique index (claim, story, stance). (This step once built an index
    of the backing too, which `backing_index_dropped` drops: it is not built only to be dropped.)"""
    _add_columns(conn, "evidence", {"source_id": "INTEGER", "weight": "FLOAT"})
    fill_evidence_backing(conn)
    conn.execute(text("DROP INDEX IF EXISTS ix_evidence_claim_id"))
    conn.execute(text("DROP INDEX IF EXISTS ix_story_backing"))


def fill_evidence_backing(conn: Connection) -> None:
    """Copy each story's source and weight to its evidence rows that lack them."""
    conn.execute(
        text(
            "UPDATE evidence SET (source_id, weight) = "
            "(SELECT s.source_id, s.weight FROM story s WHERE s.id = evidence.story_id) "
            "WHERE source_id IS NULL OR weight IS NULL"
        )
    )


def link_indexes(conn: Connection) -> None:
    """A claim's links by end and status, in place of by end alone."""
    for end in ("src", "dst"):
        conn.execute(
            text(f"CREATE INDEX IF NOT EXISTS ix_claim_link_{end}_status ON claim_link ({end}_id, status)")
        )
        conn.execute(text(f"DROP INDEX IF EXISTS ix_claim_link_{end}_id"))


def claim_backing(conn: Connection) -> None:
    """A column for each claim's backing, kept by the ingest that changes it, so that deriving a state
    reads one row per claim instead of its evidence; older claims keep it empty (null), and their
    backing is read from their evidence until an ingest next changes it."""
    _add_columns(conn, "claim", {"backing": "TEXT"})


def backing_index_dropped(conn: Connection) -> None:
    """No index of the evidence by claim, source, stance and weight: deriving a state reads the backing
    kept on the claim (`claim_backing`), so the index served only claims stored before it was kept, while
    every repeat an ingest stored wrote a row into it at a random place (a sixth of the pages a batch
    into a 100k-story KB wrote). Those claims' backing is read by the unique index and the rows."""
    conn.execute(text("DROP INDEX IF EXISTS ix_evidence_backing"))


def claim_roles(conn: Connection) -> None:
    """A column for each claim's entities by role, so that reading a candidate for matching reads its
    claim's row and not a row per mention; filled for the claims stored before it."""
    _add_columns(conn, "claim", {"roles": "TEXT"})
    fill_claim_roles(conn)


def mention_roles(dialect: str, claim_id: str) -> str:
    """SQL for the mentions of the claim whose id is `claim_id`, as `claim.roles` keeps them: each
    mention's role and entity id, in one string (null for a claim with none)."""
    concat = "string_agg" if dialect == "postgresql" else "group_concat"
    return (
        f"(SELECT {concat}(m.role || ' ' || CAST(m.entity_id AS TEXT), ' ') FROM mention m "
        f"WHERE m.claim_id = {claim_id})"
    )


def fill_claim_roles(conn: Connection, claim_ids: Iterable[int] | None = None) -> None:
    """Copy the claims' mentions to their `roles` (all claims, or those of `claim_ids`)."""
    sql = f"UPDATE claim SET roles = {mention_roles(conn.dialect.name, 'claim.id')}"
    if claim_ids is None:
        conn.execute(text(sql))
        return
    some = text(sql + " WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
    ids = sorted(set(claim_ids))
    for start in range(0, len(ids), 500):
        conn.execute(some, {"ids": ids[start : start + 500]})


def _after_create(_table: Any, conn: Connection, **_kw: Any) -> None:
    _claim_state_index(conn)


def metadata() -> MetaData:
    """kb's tables (importing the models registers them), with the indexes that the table classes do not
    declare created beside them."""
    from sqlmodel import SQLModel

    from kb import models  # noqa: F401  (registers the tables)

    claim = SQLModel.metadata.tables["claim"]
    if not event.contains(claim, "after_create", _after_create):
        event.listen(claim, "after_create", _after_create)
    return SQLModel.metadata


MIGRATIONS: list[Migration] = [
    ("term postings and claim counters", index_claims),
    ("entity profile indexes", profile_indexes),
    ("story backing index", story_backing_index),
    ("claim traits", claim_traits),
    ("evidence backing", evidence_backing),
    ("link indexes by status", link_indexes),
    ("claim backing", claim_backing),
    ("no evidence backing index", backing_index_dropped),
    ("claim roles", claim_roles),
]


def schema_version() -> int:
    return 1 + len(MIGRATIONS)


def migrate(engine: Engine) -> list[str]:
    """Create or upgrade the schema; returns the names of the migrations applied. A database already at
    the current version is only read, so opening one never waits behind a writer."""
    applied: list[str] = []
    with engine.connect() as conn:
        if _current(conn):
            return applied
    with engine.execution_options(kb_write=True).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(4242)"))
        tables = metadata()
        if not inspect(conn).has_table("claim"):
            tables.create_all(conn)
            _set_version(conn, schema_version())
            return applied
        version = _version(conn)
        if version > schema_version():
            # An older kb would write rows that miss what this schema keeps (claims' backing, say).
            raise StoreError(
                f"the database's schema (version {version}) is newer than this kb's ({schema_version()})",
                hint="upgrade kb to open it",
            )
        tables.create_all(conn)  # tables added since; columns come from migrations
        for number, (name, apply) in enumerate(MIGRATIONS[version - 1 :], start=version + 1):
            apply(conn)
            _set_version(conn, number)
            applied.append(name)
    return applied


def _current(conn: Connection) -> bool:
    try:
        return _version(conn) == schema_version()
    except SQLAlchemyError:  # no meta table yet: a new database
        conn.rollback()
        return False


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
    # 16 MiB of page cache instead of SQLite's 2 MiB: the hot pages of a large KB's indexes stay in memory
    # between batches (more buys no speed: the operating system caches the file too, outside kb's memory).
    cur.execute("PRAGMA cache_size=-16384")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # Writers take the write lock up front (BEGIN IMMEDIATE) so two writers queue on the busy timeout
    # instead of failing when a read lock cannot be upgraded. An ingest batch (kb_bulk) numbers the rows
    # it inserts itself, under that lock, so their references hold by construction: SQLite need not look
    # each one up (which costs more than the insert). Every other transaction checks them.
    options = conn.get_execution_options()
    conn.exec_driver_sql("PRAGMA foreign_keys=" + ("OFF" if options.get("kb_bulk") else "ON"))
    conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("kb_write") else "BEGIN")


def _postgresql_options(url: str) -> dict[str, str]:
    """Session settings for PostgreSQL, after any the URL gives (`?options=...`). JIT compilation is
    off: it pays for long analytic queries, and kb's are short look-ups, which the planner's estimates
    on a freshly grown table can push past its cost threshold, so that each spent milliseconds being
    compiled (a candidate read on a 20k-story KB: 8.5 ms, of which 6.9 compiling)."""
    given = make_url(url).query.get("options", "")
    options = given if isinstance(given, str) else " ".join(given)
    return {"options": f"{options} -c jit=off".strip()}


def _open(engine: Engine, attempts: int = 50) -> None:
    """Bring the schema up to date. SQLite answers "database is locked" without waiting while a new
    file's journal is set up by another process opening it at the same moment: that is retried."""
    for attempt in range(attempts):
        try:
            migrate(engine)
            return
        except OperationalError as exc:
            if engine.dialect.name != "sqlite" or "locked" not in str(exc.orig) or attempt == attempts - 1:
                raise
            engine.dispose()
            time.sleep(0.1)


def make_engine(url: str) -> Engine:
    """An engine for `url`, with the schema in place."""
    url = normalise_url(url)
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(url, pool_pre_ping=True, connect_args=_postgresql_options(url))
        _open(engine)
    except StoreError as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        raise StoreError(f"cannot open database {shown}: {exc}", hint=exc.hint) from exc
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc)
        raise StoreError(
            f"cannot open database {make_url(url).render_as_string(hide_password=True)}: "
            f"{reason.splitlines()[0]}"
        ) from exc
    return engine
