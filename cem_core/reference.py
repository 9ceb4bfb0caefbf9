"""Reference rows (departments, channels, journey stages, touchpoints, attributes), upserted by code.

Imports and the demo resolve dimension values to ids through these tables; an industry template adds
its stages and touchpoints without disturbing rows that already exist.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from cem_core.demo.catalog import ATTRIBUTE_CODES, CHANNELS, DEPARTMENTS, Industry
from cem_core.models import Attribute, Channel, Department, JourneyStage, Touchpoint


def _upsert(conn: Connection, table, key: dict[str, object], values: dict[str, object]) -> int:
    where = [table.c[k] == v for k, v in key.items()]
    found = conn.execute(select(table.c.id).where(*where)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(table.insert().values(**key, **values)).inserted_primary_key[0])


def ensure_base(conn: Connection) -> None:
    """Departments and channels every installation has."""
    for code, zh, en in DEPARTMENTS:
        _upsert(conn, Department.__table__, {"code": code}, {"name_zh": zh, "name_en": en})
    for code, zh, en, kind in CHANNELS:
        _upsert(conn, Channel.__table__, {"code": code}, {"name_zh": zh, "name_en": en, "kind": kind})


def ensure_industry(conn: Connection, industry: Industry) -> dict[str, dict[str, int]]:
    """Upsert an industry's stages, touchpoints and attributes; return code -> id maps.

    Keys of the result: ``channel``, ``department``, ``stage``, ``touchpoint`` (``stage/tp`` codes),
    ``attribute``.
    """
    ensure_base(conn)
    ids: dict[str, dict[str, int]] = {
        "channel": dict(conn.execute(select(Channel.code, Channel.id)).all()),
        "department": dict(conn.execute(select(Department.code, Department.id)).all()),
        "stage": {}, "touchpoint": {}, "attribute": {},
    }
    for pos, stage in enumerate(industry.stages):
        sid = _upsert(conn, JourneyStage.__table__, {"code": stage.code},
                      {"name_zh": stage.zh, "name_en": stage.en, "position": pos})
        ids["stage"][stage.code] = sid
        for tp in stage.touchpoints:
            ids["touchpoint"][f"{stage.code}/{tp.code}"] = _upsert(
                conn, Touchpoint.__table__, {"stage_id": sid, "code": tp.code},
                {"name_zh": tp.zh, "name_en": tp.en, "department_id": ids["department"][tp.department]})
    for code, (zh, en) in zip(ATTRIBUTE_CODES, industry.attributes, strict=True):
        ids["attribute"][code] = _upsert(conn, Attribute.__table__, {"code": code}, {"name_zh": zh, "name_en": en})
    return ids
