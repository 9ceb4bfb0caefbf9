"""SQLAlchemy 2.0 typed models: the one description of the schema that migrations are checked against.

Responses are wide (one row per survey answer or review) because the pages aggregate them by every
dimension; attribute ratings are long (one row per response and attribute) because key-driver analysis
needs a variable number of drivers. Dimension tables hold bilingual names so data stays language-free.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def machine_key(length: int) -> String:
    """A hex digest or opaque id that is matched, never read in order: Postgres compares it byte by byte
    (COLLATE "C"), which makes each B-tree comparison several times cheaper than the database's default
    collation (migration 0006). SQLite compares bytes anyway."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32), default="survey")  # survey / social / review / call


class JourneyStage(Base):
    __tablename__ = "journey_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Touchpoint(Base):
    __tablename__ = "touchpoints"
    __table_args__ = (UniqueConstraint("stage_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("journey_stages.id"))
    code: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))


class Attribute(Base):
    """A rated attribute (driver) such as staff friendliness or speed."""

    __tablename__ = "attributes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))


class ImportBatch(Base):
    """One upload, CLI import or demo load; deleting it removes exactly its rows (cascade)."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str | None] = mapped_column(String(128))
    user_name: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    rows_imported: Mapped[int] = mapped_column(Integer, default=0)
    rows_skipped: Mapped[int] = mapped_column(Integer, default=0)
    rows_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running / done / failed / undone
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Customer(Base):
    """One person across channels; matched on customer key or keyed hashes of phone and email."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_key: Mapped[str | None] = mapped_column(machine_key(128), unique=True)
    name: Mapped[str | None] = mapped_column(String(128))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(255))
    phone_hash: Mapped[str | None] = mapped_column(machine_key(64), index=True)
    email_hash: Mapped[str | None] = mapped_column(machine_key(64), index=True)
    segment: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(64))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"), index=True)


class Response(Base):
    """One feedback answer: survey response, review, social post or call note."""

    __tablename__ = "responses"
    __table_args__ = (
        # Covering index for the overview and filters: a scan of it answers every KPI without the table.
        Index("ix_responses_overview", "occurred_date", "channel_id", "stage_id", "nps", "csat", "ces", "spend"),
        Index("ix_responses_stage_channel", "stage_id", "channel_id"),
        # Covering for peak-end and a customer's journeys: read in journey order, no sort, no table (0011).
        Index("ix_responses_journey", "journey_key", "journey_step", "touchpoint_id", "csat", "nps", "ces",
              "overall_sat", "occurred_date", "channel_id", "stage_id"),
        # Covering index for analyses by region, product or segment (migration 0004).
        Index("ix_responses_text_dims", "occurred_date", "region", "product", "segment", "nps", "csat", "ces"),
        # A unique index, not a constraint, so a bulk load rebuilds it once like the others (migration 0006).
        Index("ux_responses_row_key", "row_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"), index=True)
    row_key: Mapped[str] = mapped_column(machine_key(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    # No foreign keys to the dimension tables (migration 0005): the importer resolves these ids itself,
    # and ~4M trigger checks per 1M-row import cost more than they protect.
    channel_id: Mapped[int | None] = mapped_column(Integer)
    stage_id: Mapped[int | None] = mapped_column(Integer)
    touchpoint_id: Mapped[int | None] = mapped_column(Integer, index=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)
    occurred_date: Mapped[dt.date] = mapped_column(Date)
    journey_key: Mapped[str | None] = mapped_column(String(64))
    journey_step: Mapped[int | None] = mapped_column(SmallInteger)
    nps: Mapped[int | None] = mapped_column(SmallInteger)  # 0-10
    csat: Mapped[int | None] = mapped_column(SmallInteger)  # 1-5
    ces: Mapped[int | None] = mapped_column(SmallInteger)  # 1-7
    overall_sat: Mapped[int | None] = mapped_column(SmallInteger)  # 1-10, asked at a journey's end
    spend: Mapped[float | None] = mapped_column(Float)
    region: Mapped[str | None] = mapped_column(String(64), index=True)
    product: Mapped[str | None] = mapped_column(String(128), index=True)
    segment: Mapped[str | None] = mapped_column(String(64), index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))


class Rating(Base):
    """An attribute rating (1-5) of one response, long form for key-driver analysis."""

    __tablename__ = "ratings"
    # Attribute-rating histograms read this index alone, in GROUP BY order (migration 0004).
    __table_args__ = (Index("ix_ratings_attribute_score", "attribute_id", "score", "response_id"),)

    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    attribute_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # no foreign key: migration 0005
    score: Mapped[int] = mapped_column(SmallInteger)


class ResponseRollup(Base):
    """Additive measures of one batch per day, channel, stage and touchpoint (see ``cem_core.analyze.rollup``).

    About 40x fewer rows than ``responses`` at 1M rows, so the overview reads it instead of the rows
    whenever no free-text filter (region, product, segment) is set. Keyed by batch, so undoing or
    removing a batch removes its share by cascade and the rollup cannot drift from the rows.
    """

    __tablename__ = "response_rollup"
    __table_args__ = (Index("ix_rollup_day", "occurred_date", "channel_id", "stage_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"), index=True)
    occurred_date: Mapped[dt.date] = mapped_column(Date)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"))
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("journey_stages.id"))
    touchpoint_id: Mapped[int | None] = mapped_column(ForeignKey("touchpoints.id"))
    responses: Mapped[int] = mapped_column(Integer)
    nps_n: Mapped[int] = mapped_column(Integer)
    promoters: Mapped[int] = mapped_column(Integer)
    detractors: Mapped[int] = mapped_column(Integer)
    csat_n: Mapped[int] = mapped_column(Integer)
    csat_top2: Mapped[int] = mapped_column(Integer)
    ces_n: Mapped[int] = mapped_column(Integer)
    ces_sum: Mapped[int] = mapped_column(Integer)
    ces_agree: Mapped[int] = mapped_column(Integer)
    spend: Mapped[float] = mapped_column(Float)
    detractor_spend: Mapped[float] = mapped_column(Float)


class AppSetting(Base):
    """Key-value settings an admin changes at run time (e.g. that demo data was removed on purpose)."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    """Who did what, when, to how many rows; never the personal data itself (PIPL Art. 51)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(128), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(255))
    rows: Mapped[int | None] = mapped_column(Integer)
    file_hash: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)  # JSON


class MappingTemplate(Base):
    """A saved column mapping, applied automatically when a file with the same header set arrives."""

    __tablename__ = "mapping_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    signature: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the normalised header set
    mapping: Mapped[str] = mapped_column(Text)  # JSON {header: field}
    created_by: Mapped[str | None] = mapped_column(String(128))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ImportDetail(Base):
    """What an import batch needs beyond ``import_batches``: why it failed, who undid it, what it created."""

    __tablename__ = "import_details"

    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"), primary_key=True)
    file_size: Mapped[int | None] = mapped_column(Integer)
    sheets: Mapped[str | None] = mapped_column(Text)  # JSON list of sheet names read
    rows_total: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)  # failure or rejection reason (no personal data)
    created_refs: Mapped[str | None] = mapped_column(Text)  # JSON {"channel": [...], "stage": [...], ...}
    undone_by: Mapped[str | None] = mapped_column(String(128))
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AppUser(Base):
    """A person who signs in. Only an argon2 hash of the password is kept; SSO users have none."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)  # lower-case; an email for SSO users
    display_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)  # removed when the demo data goes
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(128))
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class UserDepartment(Base):
    """The departments a department lead is scoped to (one or more)."""

    __tablename__ = "user_departments"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True)


class LoginAttempt(Base):
    """Every password sign-in attempt, kept in the database so throttling survives reruns and restarts."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_user_at", "username", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(128))  # as typed, lower-cased; may name no user
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    success: Mapped[bool] = mapped_column(Boolean)


# --- Journeys (issue 14): the editable journey's layout, and remembered names of imported stages/touchpoints ---


class JourneyLayout(Base):
    """Where a stage or touchpoint sits in the journey and whether it is retired or still to be mapped.

    Kept beside ``journey_stages``/``touchpoints`` (which imports and the demo write) so the journey's
    editing state never changes their shape. A stage's order is ``journey_stages.position``; a
    touchpoint's is ``position`` here (touchpoints without a row keep template order, by id).
    ``needs_mapping`` marks a name an import met that matched nothing: listed for an admin to map.
    """

    __tablename__ = "journey_layout"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # stage / touchpoint
    ref_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int | None] = mapped_column(Integer)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_mapping: Mapped[bool] = mapped_column(Boolean, default=False)


class JourneySynonym(Base):
    """A name (normalised like ``ingest.resolve.key_of``) an admin mapped to a stage or touchpoint:
    the next import with that name lands on the target instead of creating a new row."""

    __tablename__ = "journey_synonyms"
    __table_args__ = (UniqueConstraint("kind", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # stage / touchpoint
    name_key: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(128))  # as first seen
    target_id: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


#: Covering index for the emotion curve: per-touchpoint score sums in index order, no sort, no table (0011).
Index("ix_responses_touchpoint_scores", Response.stage_id, Response.touchpoint_id, Response.nps, Response.csat,
      Response.ces, Response.occurred_date, Response.channel_id)

#: One customer's story is found by phone or email as deletion on request matches them: the keyed hash when
#: the importer stored one, else the stored value (demo rows, older imports). These keep that lookup an index
#: read instead of a scan of every customer (0011).
Index("ix_customers_phone", Customer.phone)
Index("ix_customers_email_lower", func.lower(Customer.email))
# --- Text analytics (issue 13): per-comment analysis, additive term/topic rollups, versioned settings ---


class ResponseText(Base):
    """What text analysis found in one response's comment (see ``cem_core.text.store``).

    ``terms`` and ``topics`` are delimited strings ("|前台|排队|", "|check_in:negative|...") rather than
    child rows: the page counts from the rollups, so per-comment detail is only read to list the comments
    of one term, a LIKE over the filtered rows. One row per non-blank comment.
    """

    __tablename__ = "response_text"

    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(String(2))
    label: Mapped[str] = mapped_column(String(8))  # positive / neutral / negative
    score: Mapped[float] = mapped_column(Float)
    terms: Mapped[str] = mapped_column(Text)
    topics: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)  # JSON list of the words and rules that decided the label
    version: Mapped[int] = mapped_column(Integer)  # text settings version it was analysed with


class TextTermRollup(Base):
    """Counts of each term (kind 1) and bigram (kind 2) per batch, day, channel, stage, touchpoint and the
    comment's sentiment: a word cloud or term table for any filter is a SUM over this, and a term's
    colour is its net sentiment (positive - negative) / n from the same rows."""

    __tablename__ = "text_term_rollup"
    __table_args__ = (Index("ix_text_term_rollup_day", "occurred_date", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"), index=True)
    occurred_date: Mapped[dt.date] = mapped_column(Date)
    channel_id: Mapped[int | None] = mapped_column(Integer)
    stage_id: Mapped[int | None] = mapped_column(Integer)
    touchpoint_id: Mapped[int | None] = mapped_column(Integer)
    sentiment: Mapped[str] = mapped_column(String(8))
    kind: Mapped[int] = mapped_column(SmallInteger)
    term: Mapped[str] = mapped_column(String(64))
    n: Mapped[int] = mapped_column(Integer)


class TextTopicRollup(Base):
    """Comments per topic and the topic's own sentiment (of the clause naming it), with the NPS counts
    of those comments, per batch, day, channel, stage and touchpoint. Topic ``*`` counts every analysed
    comment, so "comments that don't mention the topic" is a difference of two sums."""

    __tablename__ = "text_topic_rollup"
    __table_args__ = (Index("ix_text_topic_rollup_day", "occurred_date", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"), index=True)
    occurred_date: Mapped[dt.date] = mapped_column(Date)
    channel_id: Mapped[int | None] = mapped_column(Integer)
    stage_id: Mapped[int | None] = mapped_column(Integer)
    touchpoint_id: Mapped[int | None] = mapped_column(Integer)
    topic: Mapped[str] = mapped_column(String(64))
    sentiment: Mapped[str] = mapped_column(String(8))
    n: Mapped[int] = mapped_column(Integer)
    nps_n: Mapped[int] = mapped_column(Integer)
    promoters: Mapped[int] = mapped_column(Integer)
    detractors: Mapped[int] = mapped_column(Integer)
    score_sum: Mapped[float] = mapped_column(Float)


class TextSettingsVersion(Base):
    """One saved version of the admin's text settings (industry template + overrides of dictionaries,
    stop words, synonyms, lexicon and taxonomy). The newest is active; older ones stay for the record."""

    __tablename__ = "text_settings"

    version: Mapped[int] = mapped_column(primary_key=True)
    industry: Mapped[str] = mapped_column(String(32))
    content: Mapped[str] = mapped_column(Text)  # JSON overrides (``dictionaries.default_overrides``)
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(String(255))
