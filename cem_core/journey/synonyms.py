"""How imported stage and touchpoint names find the journey: one normalisation, built-in synonyms of the
template stages, and the names an admin mapped (``journey_synonyms``), remembered for the next file.

The importer (``ingest.resolve``) reads ``synonyms`` before creating anything and calls
``mark_unmapped`` for a name that matched nothing, so it is listed for an admin instead of vanishing.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from sqlalchemy import Connection, inspect, select, update

from cem_core.db.models import JourneyLayout, JourneyStage, JourneySynonym

_stages = JourneyStage.__table__
_layout = JourneyLayout.__table__
_syn = JourneySynonym.__table__

#: Everyday names of template stages that differ from the catalog's own code, zh and en names.
BUILTIN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "awareness": ("认知阶段", "品牌认知", "brand awareness"),
    "consideration": ("考虑阶段", "比较选择", "research", "evaluation"),
    "booking": ("预定", "下单", "reservation"),
    "arrival": ("到店", "入住登记", "check in", "checkin"),
    "stay": ("住店", "在住", "during stay", "in stay"),
    "checkout": ("离店", "退房阶段", "check out", "departure"),
    "loyalty": ("复购", "会员忠诚", "retention", "advocacy"),
}


def name_key(value: object) -> str:
    """A name as matched: Unicode NFKC, lower case, without spaces, dashes and underscores."""
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", str(value)).lower())


def set_layout(conn: Connection, kind: str, ref_id: int, **values: object) -> None:
    """Upsert the layout row of a stage or touchpoint."""
    found = conn.execute(select(_layout.c.ref_id).where(_layout.c.kind == kind, _layout.c.ref_id == ref_id)).first()
    if found is None:
        conn.execute(_layout.insert().values(**{"kind": kind, "ref_id": ref_id, "retired": False,
                                                "needs_mapping": False, **values}))
    else:
        conn.execute(update(_layout).where(_layout.c.kind == kind, _layout.c.ref_id == ref_id).values(**values))


def mark_unmapped(conn: Connection, kind: str, ref_id: int) -> None:
    """A stage or touchpoint an import created from a name that matched nothing: list it for an admin."""
    set_layout(conn, kind, ref_id, needs_mapping=True)


def remember(conn: Connection, kind: str, name: str, target_id: int, actor: str) -> None:
    """Store (or re-point) the synonym ``name`` -> ``target_id``."""
    key = name_key(name)
    found = conn.execute(select(_syn.c.id).where(_syn.c.kind == kind, _syn.c.name_key == key)).scalar()
    if found is None:
        conn.execute(_syn.insert().values(kind=kind, name_key=key[:128], name=name[:128], target_id=target_id,
                                          created_by=actor, created_at=dt.datetime.now()))
    else:
        conn.execute(update(_syn).where(_syn.c.id == found).values(target_id=target_id))


def synonyms(conn: Connection) -> dict[str, dict[str, int]]:
    """kind -> {name key: target id}: built-in stage synonyms, overridden by the admin's mappings."""
    out: dict[str, dict[str, int]] = {"stage": {}, "touchpoint": {}}
    if not inspect(conn).has_table(_syn.name):  # a database not yet at migration 0011 (upgrade tests import so)
        return out
    codes = dict(conn.execute(select(_stages.c.code, _stages.c.id)).all())
    for code, names in BUILTIN_SYNONYMS.items():
        if code in codes:
            for n in names:
                out["stage"][name_key(n)] = codes[code]
    for kind, key, target in conn.execute(select(_syn.c.kind, _syn.c.name_key, _syn.c.target_id)):
        out.setdefault(kind, {})[key] = target
    return out
