"""SQLAlchemy 2.0 typed models: the one description of the schema that migrations are checked against.

Responses are wide (one row per survey answer or review) because the pages aggregate them by every
dimension; attribute ratings are long (one row per response and attribute) because key-driver analysis
needs a variable number of drivers. Dimension tables hold bilingual names so data stays language-free.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
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


#: ``ix_responses_region_channel`` (0036): region and channel lead, then the window, then what peak-end's rows path
#: reads of a response (``journey.peakend._row_pieces``) and the stage a stage filter tests.
REGION_CHANNEL_COLUMNS = ("region", "channel_id", "occurred_date", "stage_id", "journey_key", "journey_step",
                          "touchpoint_id", "csat", "nps", "ces", "overall_sat")


class Response(Base):
    """One feedback answer: survey response, review, social post or call note."""

    __tablename__ = "responses"
    __table_args__ = (
        # Covering index for the overview and filters: a scan of it answers every KPI without the table.
        Index("ix_responses_overview", "occurred_date", "channel_id", "stage_id", "nps", "csat", "ces", "spend"),
        # Covering for peak-end and a customer's journeys: read in journey order, no sort, no table (0011).
        Index("ix_responses_journey", "journey_key", "journey_step", "touchpoint_id", "csat", "nps", "ces",
              "overall_sat", "occurred_date", "channel_id", "stage_id"),
        # Covering index for analyses by region, product or segment (migration 0004).
        Index("ix_responses_text_dims", "occurred_date", "region", "product", "segment", "nps", "csat", "ces"),
        # One region and segment's rows in date order, covering trends, the overview's edge days and drill-down
        # pages under a region + segment filter; replaces the region index (migration 0028).
        Index("ix_responses_region_segment", "region", "segment", "occurred_date", "channel_id", "stage_id", "nps",
              "csat", "ces", "spend"),
        # Peak-end under a channel (or stage, department) filter together with a region (migration 0036): one
        # region's rows of the chosen channels in the window, covering what ``journey.peakend`` groups by journey,
        # so neither the region's other channels nor the table are read (Postgres: index-only, id included).
        Index("ix_responses_region_channel", *REGION_CHANNEL_COLUMNS, postgresql_include=["id"]),
        # A unique index, not a constraint, so a bulk load rebuilds it once like the others (migration 0006).
        Index("ux_responses_row_key", "row_key", unique=True),
        # A customer's rows, covering the close-the-loop recovery lookup (a later answer at NPS >= 7; 0022).
        Index("ix_responses_customer_recovery", "customer_id", "nps", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"), index=True)
    row_key: Mapped[str] = mapped_column(machine_key(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
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
    region: Mapped[str | None] = mapped_column(String(64))  # indexed by ix_responses_region_segment (0028)
    # No single-column index on product or segment, nor (stage, channel) or the curve's (stage, touchpoint,
    # scores): no page query read them once the rollups answered (migration 0038); each cost a sort of every
    # row in a bulk load.
    product: Mapped[str | None] = mapped_column(String(128))
    segment: Mapped[str | None] = mapped_column(String(64))
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
    ces_sq: Mapped[int | None] = mapped_column(BigInteger)  # sum of CES squares: trends' Welch test (0014)


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


# --- Act: routing rules, action items, their history, Excel exports, improvement actions (migration 0012) ---


class ActionRule(Base):
    """A routing rule: responses matching ``conditions`` (JSON, see ``cem_core.act.rules``) become items.

    Rules run in ``position`` order; for one response and department the first matching rule wins.
    ``department_code`` None sends the item to the department owning the response's touchpoint.
    """

    __tablename__ = "action_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(128))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    conditions: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    department_code: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="callback")  # callback (inner loop) / review
    priority: Mapped[str] = mapped_column(String(8), default="medium")  # high / medium / low
    sla_hours: Mapped[float] = mapped_column(Float, default=48)
    sla_working: Mapped[bool] = mapped_column(Boolean, default=False)  # count working hours only
    updated_by: Mapped[str | None] = mapped_column(String(128))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class RootCause(Base):
    """The editable list of root-cause categories an item must name to be resolved."""

    __tablename__ = "root_causes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ActionItem(Base):
    """One case to close: a response routed to a department. ``version`` grows with every change, so a
    writer holding an older version is told instead of overwriting (optimistic concurrency).

    At most one item per response and department (unique index). Undoing the source batch deletes
    items still at version 1 and keeps the others with ``source_undone`` set.
    """

    __tablename__ = "action_items"
    __table_args__ = (
        Index("ux_action_items_response_dept", "response_id", "department_id", unique=True),
        Index("ix_action_items_dept_status", "department_id", "status", "due_at"),
        Index("ix_action_items_created", "created_at"),
        # The work list, most urgent first: read in due order and stop at the page size, no sort of all items.
        Index("ix_action_items_due", "due_at", "id"),
        # Close-the-loop figures (migration 0026): the unresolved items past due (the part of the SLA breaches
        # that moves with the clock), and the resolved detractor items with their recovery, read without
        # touching the other items.
        # Department first: the figures group by it, and SQLite otherwise preferred the (department_id,
        # status, due_at) index for its order, reading every item.
        Index("ix_action_items_unresolved", "department_id", "due_at", "created_at",
              sqlite_where=text("resolved_at IS NULL"), postgresql_where=text("resolved_at IS NULL")),
        Index("ix_action_items_recovery", "department_id", "customer_id", "recovered", "created_at",
              sqlite_where=text("recovered IS NOT NULL"), postgresql_where=text("recovered IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"), index=True)
    # No foreign keys on rule, department and root cause (as migration 0005 did for responses): routing
    # writes these ids itself from the tables, and per-row trigger checks were a third of its cost.
    rule_id: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int] = mapped_column(Integer)
    touchpoint_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="open")
    owner: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    first_contact_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    root_cause_id: Mapped[int | None] = mapped_column(Integer)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    source_undone: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    updated_by: Mapped[str | None] = mapped_column(String(128))
    # Kept by database triggers (``act.loop_rollup``), never written by the app: NULL unless the item is
    # resolved and came from a detractor response (NPS 0-6) of a known customer; then 1 if that customer
    # answered again at NPS 7+ after ``resolved_at``, else 0.
    recovered: Mapped[int | None] = mapped_column(SmallInteger)


class ActionEvent(Base):
    """The history of an item: one row per changed field (who, when, from, to)."""

    __tablename__ = "action_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("action_items.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(128))
    field: Mapped[str] = mapped_column(String(32))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)


class ActionComment(Base):
    __tablename__ = "action_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("action_items.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)


class ActionExport(Base):
    """One exported action workbook; its token sits in the workbook, so a re-import knows where it came from."""

    __tablename__ = "action_exports"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(128))
    departments: Mapped[str] = mapped_column(Text)  # JSON list of department codes
    items: Mapped[int] = mapped_column(Integer)


class ImprovementAction(Base):
    """Outer loop: a fix of a systemic cause (a topic, touchpoint or driver) with its metric before and after."""

    __tablename__ = "improvement_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    anchor_kind: Mapped[str] = mapped_column(String(16))  # topic / touchpoint / driver
    anchor_code: Mapped[str] = mapped_column(String(128))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    owner: Mapped[str | None] = mapped_column(String(128))
    metric: Mapped[str] = mapped_column(String(8), default="nps")  # nps / csat / ces
    started_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent
    status: Mapped[str] = mapped_column(String(16), default="planned")  # planned / doing / done
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)

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
    version: Mapped[int] = mapped_column(Integer, index=True)  # text settings version it was analysed with


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


#: Month cells of the text rollups (migration 0019): the day rollups above summed over the days of a
#: month, with the comment's (term) or the clause's (topic) sentiment as three columns instead of a key.
#: A word cloud, term table or topic matrix over whole months sums these (``cem_core.text.report``); the
#: days of a partial month at either edge of a date range come from the day rollups; region, product and
#: segment filters read the stored per-comment analysis. Measured on the 1M demo: 113k term cells against
#: 2.2M day-rollup rows and 3.3M term tokens; the touchpoint (department scope) adds only 12 % to the
#: cells, because it nearly determines the stage.
TEXT_SENTIMENTS = ("positive", "neutral", "negative")


def _text_cell_keys() -> list[Column]:
    return [Column("id", Integer, primary_key=True),
            Column("batch_id", ForeignKey("import_batches.id", ondelete="CASCADE"), nullable=False, index=True),
            Column("month", Date, nullable=False), Column("channel_id", Integer), Column("stage_id", Integer),
            Column("touchpoint_id", Integer)]


text_term_cell = Table(
    "text_term_cell", Base.metadata, *_text_cell_keys(),
    Column("kind", SmallInteger, nullable=False), Column("term", String(64), nullable=False),
    *(Column(s, Integer, nullable=False) for s in TEXT_SENTIMENTS),
    Index("ix_text_term_cell_month", "kind", "month"),
)

text_topic_cell = Table(
    "text_topic_cell", Base.metadata, *_text_cell_keys(),
    Column("topic", String(64), nullable=False),
    *(Column(s, Integer, nullable=False) for s in TEXT_SENTIMENTS),
    *(Column(c, Integer, nullable=False) for c in ("nps_n", "promoters", "detractors")),
    Column("score_sum", Float, nullable=False),
    Index("ix_text_topic_cell_month", "topic", "month"),
)


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

# --- Scale (issue 17): month-cell rollups for the analysis page (migration 0014) -------------------------
#: Keys of an analysis cell besides the batch: what the rollups can filter and group by. Touchpoint
#: (department scope) and product are left out: with them a cell holds ~13 rows at 1M demo responses
#: (78.5k cells), without them ~100 (10.2k cells); queries by them read the rows as before.
CELL_KEYS = ("month", "channel_id", "stage_id", "region", "segment")
SCORE_VALUES = {"nps": range(0, 11), "csat": range(1, 6), "ces": range(1, 8)}
#: Histogram columns: one count per score value, and per NPS score the spend and how many recorded it.
HISTOGRAM_COLUMNS = (*(f"{m}_{k}" for m, ks in SCORE_VALUES.items() for k in ks),
                     *(f"nps_spend_n_{k}" for k in SCORE_VALUES["nps"]))
#: Spend of all the cell's rows (0023: the overview reads cells), then per NPS score.
SPEND_COLUMNS = ("spend", *(f"nps_spend_{k}" for k in SCORE_VALUES["nps"]))
CELL_COUNTS = ("responses", "nps_n", "promoters", "detractors")
#: Attribute slots of the key-driver moments; more attributes than this and key drivers read the rows.
MAX_DRIVERS = 12
MOMENT_COLUMNS = ("n", "sy", "syy", *(f"s{i}" for i in range(MAX_DRIVERS)), *(f"t{i}" for i in range(MAX_DRIVERS)),
                  *(f"cy{i}" for i in range(MAX_DRIVERS)),
                  *(f"c{i}_{k}" for i in range(MAX_DRIVERS) for k in range(i, MAX_DRIVERS)))


def _cell_keys() -> list[Column]:
    return [Column("batch_id", ForeignKey("import_batches.id", ondelete="CASCADE"), nullable=False, index=True),
            Column("month", Date, nullable=False), Column("channel_id", Integer), Column("stage_id", Integer),
            Column("region", String(64)), Column("segment", String(64))]


#: Per batch and month cell: counts, NPS/CSAT/CES histograms and spend per NPS score (``analyze.cells``).
analysis_rollup = Table(
    "analysis_rollup", Base.metadata,
    Column("id", Integer, primary_key=True), *_cell_keys(),
    *(Column(c, BigInteger, nullable=False, default=0) for c in (*CELL_COUNTS, *HISTOGRAM_COLUMNS)),
    *(Column(c, Float, nullable=False, default=0.0) for c in SPEND_COLUMNS),
    Index("ix_analysis_rollup_cell", "month", "channel_id", "stage_id"),
)

#: Per batch, month cell and outcome (0 NPS, 1 overall satisfaction): the complete cases' n, sums and sums
#: of products of the attribute ratings (slots in attribute id order) and the outcome (``analyze.moments``).
driver_rollup = Table(
    "driver_rollup", Base.metadata,
    Column("id", Integer, primary_key=True), *_cell_keys(), Column("outcome", SmallInteger, nullable=False),
    *(Column(c, Float, nullable=False, default=0.0) for c in MOMENT_COLUMNS),
    Index("ix_driver_rollup_cell", "outcome", "month", "channel_id", "stage_id"),
)

#: Per batch, month cell and attribute: how many ratings of each score 1-5 (``analyze.cells``, 0023), so the
#: attribute histograms count cells instead of every rating.
RATING_SCORES = range(1, 6)
rating_rollup = Table(
    "rating_rollup", Base.metadata,
    Column("id", Integer, primary_key=True), *_cell_keys(), Column("attribute_id", Integer, nullable=False),
    *(Column(f"r{k}", BigInteger, nullable=False, default=0) for k in RATING_SCORES),
    Index("ix_rating_rollup_cell", "month", "channel_id", "stage_id"),
)

#: Rows per batch kept by statement-level triggers on Postgres (migration 0023), so the rollup check there
#: reads no rows; SQLite counts the rows (its ``count(*)`` reads the smallest index) and leaves this empty.
response_counts = Table(
    "response_counts", Base.metadata,
    Column("batch_id", ForeignKey("import_batches.id", ondelete="CASCADE"), primary_key=True),
    Column("responses", BigInteger, nullable=False),
)

#: What the analysis rollups of each batch cover: its row count when summarised (the completeness check)
#: and the attribute ids its moments were computed over (comma-separated; '' = too many attributes).
rollup_coverage = Table(
    "rollup_coverage", Base.metadata,
    Column("batch_id", ForeignKey("import_batches.id", ondelete="CASCADE"), primary_key=True),
    Column("responses", BigInteger, nullable=False),
    Column("attribute_set", Text, nullable=False),
)

# --- Journeys (issue 14): per-journey figures for peak-end at scale (migration 0020) ---------------------
#: Measures whose per-journey figures ``journey_rollup`` carries, and the packed figures per measure: the
#: count and sum of scores and the packed argmax/argmin keys of ``analyze.journey_rollup``.
JOURNEY_MEASURES = ("csat", "nps", "ces")
JOURNEY_FIGURES = ("n", "total", "pk", "tk", "xk", "ek")

#: A response's place: region and segment (its customer's) and product (its journey's). The journey map's text
#: cells and peak-end's covering indexes are keyed by them (0031).
PLACES = ("region", "product", "segment")
#: What peak-end reads of a piece besides its region, product and segment (``journey.peakend._summary_journeys``),
#: for every measure (0032: CSAT's alone left NPS and CES with a table lookup per piece, 1.1-1.2 scans at 1M).
JOURNEY_COVERED = ("whole", "first_date", "last_date", "ok", "first_id", "journey_key",
                   *(f"{m}_{k}" for m in JOURNEY_MEASURES for k in JOURNEY_FIGURES))
#: Per batch, journey and (region, product, segment): one row per journey in practice (those values are a
#: customer's or a journey's), combinable across rows by sum/min/max (``analyze.journey_rollup``). The
#: dates bound the piece so a date window reads whole pieces and only re-reads the journeys it cuts.
journey_rollup = Table(
    "journey_rollup", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", ForeignKey("import_batches.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("journey_key", String(64)), Column("region", String(64)), Column("product", String(128)),
    Column("segment", String(64)), Column("first_date", Date), Column("last_date", Date),
    Column("responses", BigInteger, nullable=False), Column("first_id", BigInteger), Column("ok", BigInteger),
    *(Column(f"{m}_{k}", BigInteger) for m in JOURNEY_MEASURES for k in JOURNEY_FIGURES),
    # True while no other piece has this journey key: such a piece is a whole journey and is read without a
    # GROUP BY. Writers clear it when a key turns up again; a stale False only costs a GROUP BY, never a result.
    Column("whole", Boolean, nullable=False, default=True),
    Index("ix_journey_rollup_key", "journey_key"),
    Index("ix_journey_rollup_parts", "whole", "journey_key"),  # the few non-whole pieces, in journey order
    # Peak-end reads the pieces in a window's partial edge months, and the keys of those the window cuts (from
    # the index alone), by date (0025).
    Index("ix_journey_rollup_first_date", "first_date", "last_date", "journey_key"),
    Index("ix_journey_rollup_last_date", "last_date", "first_date", "journey_key"),
    # Peak-end under a region, product or segment filter (0031, every measure since 0032): one covering index per
    # dimension holding what it reads of a piece, so only the matching pieces are read, without table lookups.
    *(Index(f"ix_journey_rollup_{dim}", dim, *JOURNEY_COVERED, *(d for d in PLACES if d != dim))
      for dim in PLACES),
)

#: Peak-end's additive cells (migration 0025, ``analyze.journey_cells``): per batch, measure, month of the journey's
#: first and last date, ``kind`` and ``k`` (``block``: bootstrap block; ``neg`` / ``pos`` / ``end``: the
#: touchpoint of the worst / best moment / end; ``rec``: recovery class in ``label``; ``pieces``: the batch's
#: journey_rollup rows, the completeness check), the qualifying whole journeys' count and moments
#: (Σy, Σy², and Σx, Σx², Σxy per predictor), which add up over cells exactly.
JOURNEY_PREDICTORS = ("peak_end", "mean", "peak", "end", "trough")
JOURNEY_MOMENTS = ("sy", "syy", *(f"{s}_{p}" for p in JOURNEY_PREDICTORS for s in ("sx", "sxx", "sxy")))
journey_cell = Table(
    "journey_cell", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", ForeignKey("import_batches.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("measure", String(8), nullable=False), Column("first_month", Date), Column("last_month", Date),
    Column("kind", String(8), nullable=False), Column("k", BigInteger, nullable=False),
    Column("label", String(16), nullable=False), Column("n", BigInteger, nullable=False),
    *(Column(m, Float, nullable=False) for m in JOURNEY_MOMENTS),
    Index("ix_journey_cell_kind", "kind", "k"),  # the pieces rows (completeness, longest span) without a scan
)

#: ``journey_cell``'s cells per region too (migration 0039): a region filter sums its regions' cells instead of
#: reading every piece of the region from ``journey_rollup`` (60k at 1M rows, about one scan of ``responses`` on
#: Postgres). A table of its own: the unfiltered reads keep their ~6x fewer cells. No ``pieces`` rows.
journey_region_cell = Table(
    "journey_region_cell", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", ForeignKey("import_batches.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("measure", String(8), nullable=False), Column("first_month", Date), Column("last_month", Date),
    Column("region", String(64)),
    Column("kind", String(8), nullable=False), Column("k", BigInteger, nullable=False),
    Column("label", String(16), nullable=False), Column("n", BigInteger, nullable=False),
    *(Column(m, Float, nullable=False) for m in JOURNEY_MOMENTS),
    Index("ix_journey_region_cell_region", "measure", "region"),
)

#: Per batch, day, channel, stage and touchpoint: n, sum and sum of squares of each score, so the emotion
#: curve's means and 95 % bands come from ~40x fewer rows than ``responses`` (``analyze.journey_rollup``).
curve_rollup = Table(
    "curve_rollup", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", ForeignKey("import_batches.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("occurred_date", Date), Column("channel_id", Integer), Column("stage_id", Integer),
    Column("touchpoint_id", Integer), Column("responses", BigInteger, nullable=False),
    *(Column(f"{m}_{k}", BigInteger, nullable=False) for m in JOURNEY_MEASURES for k in ("n", "sum", "sq")),
)

#: Per batch, month, channel, stage, touchpoint, region, product and segment (migration 0029,
#: ``analyze.touchpoint_cells``): the map's additive measures (``analyze.metrics.MEASURE_COLUMNS``) and n, sum
#: and sum of squares of each score, so the journey map, the emotion curve and peak-end's touchpoint exposure
#: under a region, product or segment filter sum cells instead of reading the rows. The demo's 1M responses
#: make ~79k cells (~13 rows each): region and segment are a customer's and product a journey's, so the cross
#: holds only the combinations that occur.
TOUCHPOINT_CELL_INTS = ("responses", "nps_n", "promoters", "detractors", "csat_n", "csat_top2", "ces_n", "ces_sum",
                        "ces_agree", "ces_sq", "csat_sum", "csat_sq", "nps_sum", "nps_sq")
TOUCHPOINT_CELL_FLOATS = ("spend", "detractor_spend")
touchpoint_cell = Table(
    "touchpoint_cell", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", ForeignKey("import_batches.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("month", Date, nullable=False), Column("channel_id", Integer), Column("stage_id", Integer),
    Column("touchpoint_id", Integer), Column("region", String(64)), Column("product", String(128)),
    Column("segment", String(64)),
    *(Column(c, BigInteger, nullable=False) for c in TOUCHPOINT_CELL_INTS),
    *(Column(c, Float, nullable=False) for c in TOUCHPOINT_CELL_FLOATS),
    # Read under a region, product or segment filter: one index per dimension, then the month, so only the
    # matching cells of the window are read (0035; the whole table was, 11 ms of 0.1 s at 1M on Postgres).
    *(Index(f"ix_touchpoint_cell_{dim}", dim, "month") for dim in PLACES),
)

#: The journey map's two text columns by region, product and segment (migration 0031, written by
#: ``text.store``'s counters with the other text rollups): per batch, month, channel (0032: without it a channel
#: filter with such a filter read the comments' rows, 2.8 scans at 1M), stage, touchpoint, region, product,
#: segment and topic. The
#: ``*`` topic's row holds the analysed comments (``comments``) and the negative ones (``negative``); a topic's
#: row holds only its negative clauses (``comments`` 0), all the map ranks topics by, so topics mentioned
#: without a negative clause make no row. The text cells above carry no region, product or segment, so such a
#: filter read the comments' rows (map up to 15x a full scan at 1M).
text_touchpoint_cell = Table(
    "text_touchpoint_cell", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", ForeignKey("import_batches.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("month", Date, nullable=False), Column("channel_id", Integer), Column("stage_id", Integer),
    Column("touchpoint_id", Integer),
    Column("region", String(64)), Column("product", String(128)), Column("segment", String(64)),
    Column("topic", String(64), nullable=False),
    Column("comments", Integer, nullable=False), Column("negative", Integer, nullable=False),
    Index("ix_text_touchpoint_cell_topic", "topic", "comments"),  # the count check reads only this index
    *(Index(f"ix_text_touchpoint_cell_{dim}", dim, "month") for dim in PLACES),  # as touchpoint_cell's (0035)
)

#: Analysed comments per batch, kept by statement-level triggers on ``response_text`` on Postgres (migration
#: 0030), so the text cells' completeness check reads no comment rows there (``text.report.cells_complete``).
#: SQLite counts ``response_text`` (its smallest index) and leaves this empty, as with ``response_counts``.
text_counts = Table(
    "text_counts", Base.metadata,
    Column("batch_id", ForeignKey("import_batches.id", ondelete="CASCADE"), primary_key=True),
    Column("comments", BigInteger, nullable=False),
)





# --- Alerts (issue 16): rules, fired alerts (one per finding), who read them, each delivery attempt ---


class AlertRule(Base):
    """What to watch (a measure's drop, overall or per dimension), whom to tell and through which channels.

    ``recipients`` and ``channels`` are JSON: {"users": [...], "departments": [...]} and a list of
    {"kind": "wecom|dingtalk|feishu|webhook|email", "url" | "to": ..., "secret": name of a secrets.toml key}.
    Secret values never enter the database.
    """

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # drop
    measure: Mapped[str] = mapped_column(String(8))  # nps / csat / ces
    dimension: Mapped[str] = mapped_column(String(16))  # overall / segment / stage / touchpoint / channel
    window_days: Mapped[int] = mapped_column(Integer)
    min_n: Mapped[int] = mapped_column(Integer)
    max_p: Mapped[float] = mapped_column(Float)
    recipients: Mapped[str] = mapped_column(Text)
    channels: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Alert(Base):
    """One finding, fired once: ``finding_key`` (rule, dimension value, period) is unique, so a second
    evaluation of the same data, or a concurrent one, cannot fire it again."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    finding_key: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    measure: Mapped[str] = mapped_column(String(8))
    dimension: Mapped[str] = mapped_column(String(16))
    dim_key: Mapped[str | None] = mapped_column(String(128))  # a code (channel, stage, touchpoint) or segment
    date_from: Mapped[dt.date] = mapped_column(Date)
    date_to: Mapped[dt.date] = mapped_column(Date)
    current: Mapped[float] = mapped_column(Float)
    previous: Mapped[float] = mapped_column(Float)
    n_current: Mapped[int] = mapped_column(Integer)
    n_previous: Mapped[int] = mapped_column(Integer)
    p_value: Mapped[float] = mapped_column(Float)


class AlertRead(Base):
    """That a user has seen an alert (the sidebar's unread count is the alerts without a row here)."""

    __tablename__ = "alert_reads"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(128), primary_key=True)


class AlertDelivery(Base):
    """One channel's delivery of one alert: sent or failed after its retries (error without secrets)."""

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # sent / failed
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[dt.datetime] = mapped_column(DateTime)


#: Close-the-loop counts per day of creation and department, kept by triggers on ``action_items`` in the
#: writer's own transaction whoever writes (``act.loop_rollup``, migration 0026). ``breached`` counts only
#: the items resolved after their due time; unresolved items past due move with the clock and are read live.
action_rollup = Table(
    "action_rollup", Base.metadata,
    Column("day", Date, primary_key=True), Column("department_id", Integer, primary_key=True),
    Column("opened", BigInteger, nullable=False), Column("done", BigInteger, nullable=False),
    Column("with_due", BigInteger, nullable=False), Column("breached", BigInteger, nullable=False),
)

#: Items with a first contact per department, whole minutes to that contact and day of creation (the
#: exact median to the minute is read off the counts), kept like ``action_rollup``. In key order without a
#: rowid on SQLite, the figures' GROUP BY (department, minutes) reads it in order instead of sorting it.
action_contact_hist = Table(
    "action_contact_hist", Base.metadata,
    Column("department_id", Integer, primary_key=True), Column("minutes", BigInteger, primary_key=True),
    Column("day", Date, primary_key=True), Column("contacted", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
