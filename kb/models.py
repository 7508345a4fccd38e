"""SQLModel tables: the knowledge graph as rows (its vocabulary of kinds and states is kb.vocab). No I/O here.

Stored state follows one rule: rows describing what sources said (story, evidence, mention) and what
analysts decided (claim_link status, event) are never rewritten; a claim's `state` and `confidence` are a
cache of what lifecycle derives from them, and every change of that cache is an `event`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, Text, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCTime(TypeDecorator[datetime]):
    """Times stored as naive UTC on every backend; aware values are converted on the way in."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.utcoffset() is not None:
            return value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value


class Source(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    key: str = Field(unique=True)
    reliability: str = "F"
    created_at: datetime = Field(sa_type=UTCTime)


class Story(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(unique=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    title: str
    published: datetime | None = Field(default=None, index=True, sa_type=UTCTime)
    url: str | None = None
    fmt: str = "brief"
    path: str | None = None
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    caveats: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    weight: float = 1.0
    raw_text: str = Field(sa_column=Column(Text, nullable=False))
    ingested_at: datetime = Field(index=True, sa_type=UTCTime)


class Entity(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    key: str = Field(unique=True)
    kind: str = "unknown"
    created_at: datetime = Field(sa_type=UTCTime)
    created_by_story_id: int | None = None
    merged_into: int | None = Field(default=None, index=True)  # set while merged into another entity


class Alias(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    name: str
    key: str = Field(unique=True)
    origin: str = "extracted"  # gazetteer, extracted, fuzzy, analyst


class Claim(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    norm_hash: str = Field(index=True)
    terms: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    kind: str = Field(index=True)
    state: str = Field(index=True)
    confidence: float = 0.0
    analyst_state: str | None = None
    story_id: int = Field(foreign_key="story.id", index=True)
    section: str = ""
    created_at: datetime = Field(sa_type=UTCTime)
    first_seen: datetime | None = Field(default=None, sa_type=UTCTime)
    last_seen: datetime | None = Field(default=None, sa_type=UTCTime)
    # What matching reads from the text besides its terms (kb.match.traits_of); null on claims stored
    # before it was kept, which matching then works out from the text.
    traits: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The claim's backing as deriving its state reads it: each source's best story weight, supporting and
    # doubting (kb.memo.backing_text); null where it was not kept, and then read from its evidence.
    backing: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Its entities by role as matching reads them ("subject 12 context 5 ..."), a copy of its mention rows
    # kept wherever those are written (kb.db.fill_claim_roles); null where it is not, and then read from
    # its mentions.
    roles: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Evidence(SQLModel, table=True):
    """`source_id` and `weight` are the story's, copied when the row is written (a story's never change):
    a claim's backing, where it is not kept on the claim, is then read from its evidence rows alone,
    without a look-up of each story. A claim's evidence is read by the unique index (claim, story,
    stance), which holds what most such reads need; a claim's backing is kept on its row, so no index of
    its own is kept up to date for it (see `kb.db.backing_index_dropped`)."""

    __table_args__ = (UniqueConstraint("claim_id", "story_id", "stance"),)
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id")
    story_id: int = Field(foreign_key="story.id", index=True)
    stance: str
    section: str = ""
    quote: str = Field(sa_column=Column(Text, nullable=False))
    source_id: int | None = None
    weight: float | None = None


class Mention(SQLModel, table=True):
    """Claim x entity. `role` is "subject" for entities the claim is about, "source" for those it is
    attributed to ("according to X"), "context" for the story's main entities that a claim carries without
    naming them (they widen blocking, never scoring)."""

    # The role is in the index so that an entity's claims (role != "context") are counted and walked from
    # the newest without reading the table: `kb entity` on an entity named in 300k claims.
    __table_args__ = (Index("ix_mention_entity_claim_role", "entity_id", "claim_id", "role"),)
    claim_id: int = Field(foreign_key="claim.id", primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", primary_key=True)
    role: str = "subject"


class ClaimLink(SQLModel, table=True):
    """`src` is the claim that answers, repeats or contradicts; `dst` the claim it acts on."""

    # A claim's links are read by end and status: most are suggestions, and deriving states reads only
    # the active ones.
    __tablename__ = "claim_link"
    __table_args__ = (
        UniqueConstraint("kind", "src_id", "dst_id"),
        Index("ix_claim_link_src_status", "src_id", "status"),
        Index("ix_claim_link_dst_status", "dst_id", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: str
    src_id: int = Field(foreign_key="claim.id")
    dst_id: int = Field(foreign_key="claim.id")
    score: float
    status: str = Field(index=True)
    reason: str = ""
    story_id: int | None = Field(default=None, foreign_key="story.id")
    created_at: datetime = Field(sa_type=UTCTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCTime)


class Event(SQLModel, table=True):
    """Append-only history. `at_published` is when it happened in the world (the cause's publication
    date), `at_ingested` when the KB learned it."""

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int | None = Field(default=None, foreign_key="claim.id", index=True)
    entity_id: int | None = Field(default=None, foreign_key="entity.id")
    action: str  # created, promoted, corroborated, disputed, confidence, decision, ...
    old_state: str | None = None
    new_state: str | None = None
    old_confidence: float | None = None
    new_confidence: float | None = None
    at_published: datetime = Field(index=True, sa_type=UTCTime)
    at_ingested: datetime = Field(index=True, sa_type=UTCTime)
    story_id: int | None = Field(default=None, foreign_key="story.id")
    analyst: str | None = None
    reason: str = ""


class Judgement(SQLModel, table=True):
    """An analyst's judgement on two entities: "merge" (other into entity, undoable; `moved` records the
    alias and mention rows it moved so an unmerge restores them exactly) or "not_same" (never merged)."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    entity_id: int = Field(foreign_key="entity.id", index=True)
    other_id: int = Field(foreign_key="entity.id", index=True)
    analyst: str = ""
    reason: str = ""
    moved: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    created_at: datetime = Field(sa_type=UTCTime)
    undone_at: datetime | None = Field(default=None, sa_type=UTCTime)


class TermStat(SQLModel, table=True):
    """How many claims use each content term: the weights that make rare shared terms count. Two kinds
    of key hold counters of their own and can never be a term: "@<entity id>" (claims about the entity)
    and "#claims" (all claims)."""

    __tablename__ = "term_stat"
    term: str = Field(primary_key=True)
    df: int = 0


class Posting(SQLModel, table=True):
    """Term -> claim: the selective index that finds the few claims sharing an incoming claim's rarer
    terms, however many claims its entities have. Derived from `claim.terms`; not part of a dump."""

    term: str = Field(primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", primary_key=True)


class Meta(SQLModel, table=True):
    key: str = Field(primary_key=True)
    value: str
