"""Analyst decisions: review suggestions, promote, confirm, dispute, refute, reopen."""

from typing import Annotated

import typer

from kb.cli.common import (
    Fmt,
    FormatOpt,
    _decided,
    _emit,
    _out,
    _store,
    app,
    review_app,
)

# ------------------------------------------------------------------------------ analyst decisions


@review_app.callback(invoke_without_command=True)
def review_list(ctx: typer.Context, fmt: FormatOpt = Fmt.table) -> None:
    """List suggestions waiting for a decision (kb review accept|reject ID)."""
    if ctx.invoked_subcommand is not None:
        return
    from kb import render

    _emit(fmt, _store(ctx).suggestion_rows(), render.suggestions_table, render.suggestions_md)


def _review(ctx: typer.Context, ident: str, accept: bool, because: str) -> None:
    """A link suggestion is a number; an entity suggestion is "e" and a number."""
    if ident.casefold().startswith("e") and ident[1:].isdigit():
        from kb.curate import decide_suggestion

        _out(f"entities {decide_suggestion(_store(ctx), int(ident[1:]), accept, because)}")
        return
    if not ident.isdigit():
        raise typer.BadParameter("a suggestion id from kb review (12, or e3 for an entity)", param_hint="ID")
    from kb.pipeline import review

    _decided(review(_store(ctx), int(ident), accept=accept, because=because))


@review_app.command("accept")
def review_accept(
    ctx: typer.Context,
    ident: Annotated[str, typer.Argument(metavar="ID", help="Suggestion id (e3 for an entity suggestion).")],
    because: Annotated[str, typer.Option(help="Why (kept in the history).")] = "",
) -> None:
    """Accept a suggestion: a link acts as if it had scored above the automatic threshold; an entity
    suggestion merges the new entity into the known one."""
    _review(ctx, ident, True, because)


@review_app.command("reject")
def review_reject(
    ctx: typer.Context,
    ident: Annotated[str, typer.Argument(metavar="ID", help="Suggestion id (e3 for an entity suggestion).")],
    because: Annotated[str, typer.Option(help="Why (kept in the history).")] = "",
) -> None:
    """Reject a suggestion: a link stops acting and is never suggested again; two entities are kept apart."""
    _review(ctx, ident, False, because)


def _decision(action: str, doc: str) -> None:
    def command(
        ctx: typer.Context,
        claim_id: Annotated[int, typer.Argument(metavar="ID", help="Claim id.")],
        because: Annotated[str, typer.Option(help="The reason, kept in the claim's history.")],
    ) -> None:
        from kb.pipeline import decide

        _decided(decide(_store(ctx), claim_id, action, because))

    command.__doc__ = doc
    app.command(action)(command)


_decision("promote", "Mark an open question as answered (known), on the analyst's word.")
_decision("confirm", "Mark a claim confirmed (primary or official source, or analyst).")
_decision("dispute", "Mark a claim disputed.")
_decision("refute", "Mark a claim refuted (retracted or shown false).")
_decision("reopen", "Withdraw the analyst's decision on a claim; its state follows the evidence again.")
