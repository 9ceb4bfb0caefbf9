"""One customer's story: find them by id, phone or email, and read every response they gave, in time
order across channels and stages, with their journeys' scores and the action items their feedback raised.

Lookup is deletion on request's (``privacy.find_customers``: the customer id, or the keyed hash of the
normalised phone or email), read through the customers' indexes; the timeline reads the customer's rows
through ``responses.customer_id``'s index. Names, phones, emails and personal data typed into comments
are masked unless the caller may see them; the page audits an unmasked view (``audit_unmasked``). Action
items (``act``) are those linked to the customer or to one of their responses, read through the items'
customer and response indexes; a department lead sees only their departments' items, as on *Actions*,
and the resolution note is masked like a comment.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select, union

from cem_core import audit
from cem_core.analyze.queries import Filters, apply_filters, channels, read_frame, responses, stages
from cem_core.auth.roles import User
from cem_core.db.models import ActionItem, Customer, Department, RootCause, Touchpoint
from cem_core.i18n import name_col
from cem_core.journey.peakend import journey_frame
from cem_core.privacy.deletion import customer_preview, find_customers
from cem_core.privacy.masking import mask_frame

LOOKUP_KINDS = ("id", "phone", "email")
TIMELINE = ("occurred_at", "channel", "stage", "touchpoint", "journey_key", "journey_step", "nps", "csat", "ces",
            "overall_sat", "comment")
#: The action items of the customer's feedback, oldest first.
ACTIONS = ("created_at", "touchpoint", "department", "kind", "priority", "status", "owner", "due_at", "root_cause",
           "resolution_note")
_tps = Touchpoint.__table__
_customers = Customer.__table__
_items = ActionItem.__table__
_depts = Department.__table__
_causes = RootCause.__table__


def find(engine: Engine, kind: str, value: str) -> list[int]:
    """Customer ids matching a customer id, phone or email (as deletion on request matches them)."""
    return find_customers(engine, kind=kind, value=value)


def card(engine: Engine, customer_id: int, unmask: bool) -> dict[str, object]:
    """Who it is (masked unless ``unmask``), how many responses, first and last date, segment and region."""
    preview = customer_preview(engine, [customer_id], unmask)
    if preview.empty:
        return {}
    out = preview.iloc[0].to_dict()
    with engine.connect() as conn:
        seg = conn.execute(select(_customers.c.segment, _customers.c.region).where(
            _customers.c.id == customer_id)).one()
    out["segment"], out["region"] = seg
    return out


def timeline(engine: Engine, customer_id: int, lang: str, unmask: bool, departments: tuple[str, ...] = ()
             ) -> pd.DataFrame:
    """Every response of the customer, oldest first; comments masked unless ``unmask``. A department lead's
    ``departments`` keep only the touchpoints those departments own, as every other view does."""
    name = name_col(lang)
    c = responses.c
    stmt = (select(c.occurred_at, channels.c[name].label("channel"), stages.c[name].label("stage"),
                   _tps.c[name].label("touchpoint"), c.journey_key, c.journey_step, c.nps, c.csat, c.ces,
                   c.overall_sat, c.comment)
            .select_from(responses.outerjoin(channels, channels.c.id == c.channel_id)
                         .outerjoin(stages, stages.c.id == c.stage_id).outerjoin(_tps, _tps.c.id == c.touchpoint_id))
            .where(c.customer_id == customer_id).order_by(c.occurred_at, c.journey_step, c.id))
    frame = read_frame(engine, apply_filters(stmt, Filters(departments=departments)))
    if frame.empty:
        frame = pd.DataFrame(columns=list(TIMELINE))
    return mask_frame(frame, {"comment": "text"}, unmask)


def actions(engine: Engine, customer_id: int, lang: str, unmask: bool, departments: tuple[str, ...] = ()
            ) -> pd.DataFrame:
    """The action items raised for the customer or on their responses (``ACTIONS``); a department lead's
    ``departments`` (codes) keep only those departments' items. Resolution notes masked unless ``unmask``."""
    name = name_col(lang)
    i = _items.c
    own = select(responses.c.id).where(responses.c.customer_id == customer_id)
    # A UNION of two index reads, not an OR: Postgres turns "customer_id = x OR response_id IN (...)" into a
    # scan of every item (0.2 s at 60k items); this reads ix_action_items_customer_id and the response index.
    mine = union(select(i.id).where(i.customer_id == customer_id), select(i.id).where(i.response_id.in_(own)))
    stmt = (select(i.created_at, _tps.c[name].label("touchpoint"), _depts.c[name].label("department"),
                   i.kind, i.priority, i.status, i.owner, i.due_at, _causes.c[name].label("root_cause"),
                   i.resolution_note)
            .select_from(_items.join(_depts, _depts.c.id == i.department_id)
                         .outerjoin(_tps, _tps.c.id == i.touchpoint_id)
                         .outerjoin(_causes, _causes.c.id == i.root_cause_id))
            .where(i.id.in_(mine)).order_by(i.created_at, i.id))
    if departments:
        stmt = stmt.where(_depts.c.code.in_(departments))
    frame = read_frame(engine, stmt)
    if frame.empty:
        frame = pd.DataFrame(columns=list(ACTIONS))
    return mask_frame(frame, {"resolution_note": "text"}, unmask)


def journeys(engine: Engine, frame: pd.DataFrame, measure: str = "csat") -> pd.DataFrame:
    """Peak, trough, end, mean and peak-end index of the journeys in a timeline (those that qualify)."""
    keys = tuple(sorted(str(k) for k in frame["journey_key"].dropna().unique()))
    return journey_frame(engine, Filters(), measure, keys)


def warm_up(engine: Engine) -> None:
    """Prepay what a process's first customer lookup pays besides its reads: compiling the story's statements
    (SQLAlchemy caches them per engine, whatever the customer), the keyed hash, pandas' and the masking's first
    use. Asks for customer id -1 and a blank journey key, which nothing has (index searches that find nothing),
    and writes nothing."""
    find(engine, "phone", "13800000000")
    card(engine, -1, False)
    timeline(engine, -1, "zh", False)
    journeys(engine, pd.DataFrame({"journey_key": [""]}))  # the importer stores a blank key as NULL
    actions(engine, -1, "zh", False)
    mask_frame(pd.DataFrame({"comment": ["13800000000 a@b.cn"]}), {"comment": "text"}, False)


def audit_unmasked(engine: Engine, user: User, customer_id: int, rows: int) -> None:
    """Log that ``user`` saw this customer's story unmasked (ids and counts only, never the data)."""
    audit.record(engine, user.username, "view_unmasked", target=f"journey:customer:{customer_id}", rows=rows,
                 detail={"columns": ["name", "phone", "email", "comment", "resolution_note"]})
