"""Shared pieces of the command line: the typer app, options, output helpers and name lookup."""

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from kb.errors import KbError, NotFound

if TYPE_CHECKING:
    from kb.profile import Reader
    from kb.store import Store
    from kb.vocab import Moment

# kb.diff.CLOCKS, spelt out so that checking --by does not load the store (a test keeps them equal).
CLOCKS = ("ingested", "published")


class Fmt(StrEnum):
    table = "table"
    json = "json"
    md = "md"


class Grade(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"


class _Group(TyperGroup):
    """Shows the library's errors as one line on stderr with exit code 1, never a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KbError as exc:
            message, hint = str(exc), exc.hint
        except Exception as exc:
            if not _is_database_error(exc):
                raise
            message, hint = f"database error: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}", ""
        from kb.render import error_line, write_err

        write_err(error_line(message, hint))
        raise typer.Exit(1)


def _is_database_error(exc: Exception) -> bool:
    # Not `except SQLAlchemyError`, which would load SQLAlchemy for `kb CMD --help` too: an error can
    # only be SQLAlchemy's once SQLAlchemy has been loaded.
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    return sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.SQLAlchemyError)


app = typer.Typer(
    cls=_Group,
    name="kb",
    help="A claim-tracking knowledge base for developing news stories.\n\n"
    "Ingest briefs, then ask about entities, claims and what changed. The database is kb.db in the "
    "current directory unless --db or KB_DATABASE_URL says otherwise.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
review_app = typer.Typer(help="List suggested links, or accept or reject one.", rich_markup_mode=None)
app.add_typer(review_app, name="review")

FormatOpt = Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Show the KB as it stood then: 2026-06-18, 2026-06-18T09:00, 7d, yesterday, last."
    ),
]
ByOpt = Annotated[str, typer.Option("--by", help="Clock: ingested (when kb learnt it) or published.")]


class Context:
    """The database of one command, opened on first use: as a `Store`, or only as a `Reader` of entities,
    which loads neither the ORM nor SQLModel (a cold `kb entity` spends most of its time importing)."""

    def __init__(self, db: str | None) -> None:
        self.db = db
        self._store: Store | None = None
        self._reader: Reader | None = None

    @property
    def store(self) -> "Store":
        if self._store is None:
            from kb.settings import database_url
            from kb.store import Store

            engine = self._reader.engine if self._reader is not None else None
            self._store = Store(database_url(self.db), engine)
        return self._store

    @property
    def reader(self) -> "Reader":
        if self._store is not None:
            return self._store.reader
        if self._reader is None:
            from kb.db import make_engine
            from kb.profile import Reader
            from kb.settings import database_url

            self._reader = Reader(make_engine(database_url(self.db)))
        return self._reader


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="SQLite file to use (default kb.db; KB_DATABASE_URL selects any SQLAlchemy URL).",
        ),
    ] = None,
) -> None:
    ctx.obj = Context(db)


def _clock(by: str) -> str:
    """The --by option, checked."""
    if by not in CLOCKS:
        raise typer.BadParameter(f"choose one of {', '.join(CLOCKS)}", param_hint="--by")
    return by


def _moment(store: "Store", when: str | None, by: str, option: str = "--as-of") -> "Moment | None":
    """A user's time option as a moment on a clock (None when not given)."""
    _clock(by)
    if when is None:
        return None
    from kb.diff import mark_of, now, parse_when
    from kb.vocab import Moment

    try:
        return Moment(parse_when(when, now(), mark_of(store, by)), by)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from exc


def _context(ctx: typer.Context) -> Context:
    return ctx.ensure_object(Context) if isinstance(ctx.obj, Context) else Context(None)


def _store(ctx: typer.Context) -> "Store":
    return _context(ctx).store


def _reader(ctx: typer.Context) -> "Reader":
    """The database for entity lookups and profiles only (see `Context`)."""
    return _context(ctx).reader


def _out(renderable: Any) -> None:
    from kb import render

    if isinstance(renderable, str):
        sys.stdout.write(renderable + "\n")
    else:
        render.console().print(renderable)


def _emit(fmt: Fmt, data: Any, table: Any, md: Any) -> None:
    """Print `data` as JSON, or the table / Markdown renderer applied to it."""
    from kb import render

    if fmt == Fmt.json:
        _out(render.to_json(data))
    elif fmt == Fmt.md:
        _out(md(data))
    else:
        _out(table(data))


def _entity_id(store: "Store | Reader", name: str) -> int:
    from kb.resolve import alias_key, lookup

    exact = store.entity_by_alias(alias_key(name))
    if exact is not None:
        return exact
    found = lookup(name, store.entity_names(), store.entity_display_names())
    if found.entity_id is None:
        hint = (
            f"did you mean: {', '.join(found.suggestions)}"
            if found.suggestions
            else "list entities with: kb entities"
        )
        raise NotFound(f"no entity named {name!r}", hint=hint)
    return found.entity_id


def _decided(changes: list, fmt: Fmt = Fmt.table) -> None:
    from kb import render

    rows = [
        {
            "claim_id": c.claim_id,
            "text": c.text,
            "action": c.action,
            "from_state": c.from_state,
            "to_state": c.to_state,
            "reason": c.reason,
        }
        for c in changes
    ]
    _emit(fmt, rows, lambda r: render.changes_table(r, "decision recorded"), lambda r: render.to_json(r))
