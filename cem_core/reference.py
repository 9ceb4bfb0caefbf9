"""The product's reference data: departments, channels and attribute codes every installation has, and
the upserts that put them (and an industry template's stages, touchpoints and attributes) in the database.

Imports and the demo resolve dimension values to ids through these tables; an industry template adds
its stages and touchpoints without disturbing rows that already exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from cem_core.db.models import Attribute, Channel, Department, JourneyStage, Touchpoint

if TYPE_CHECKING:  # the template type only; reference data never depends on the demo at run time
    from cem_core.demo.catalog import Industry

#: Departments actions are routed to: (code, zh, en).
DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("customer_service", "客户服务部", "Customer Service"),
    ("operations", "运营部", "Operations"),
    ("sales", "销售部", "Sales"),
    ("marketing", "市场部", "Marketing"),
    ("digital", "数字化部", "Digital & IT"),
    ("product", "产品部", "Product"),
    ("finance", "财务部", "Finance"),
)

#: Feedback channels: (code, zh, en, kind). kind is survey / social / review / call.
CHANNELS: tuple[tuple[str, str, str, str], ...] = (
    ("sms_survey", "短信调研", "SMS survey", "survey"),
    ("wechat_mini", "微信小程序", "WeChat mini-program", "survey"),
    ("app", "App 内问卷", "In-app survey", "survey"),
    ("wechat_oa", "微信公众号", "WeChat official account", "social"),
    ("weibo", "微博", "Weibo", "social"),
    ("review_site", "点评网站", "Review site", "review"),
    ("call_center", "呼叫中心", "Call centre", "call"),
)

#: The five attribute (driver) codes, in the order of the planted weights.
ATTRIBUTE_CODES: tuple[str, ...] = ("staff", "speed", "reliability", "value", "digital")



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
