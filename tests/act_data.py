"""Feedback for the Act tests: the hotel reference data, then real csv files imported on the real path."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from cem_core.db import write_transaction
from cem_core.db.models import ActionItem, Department
from cem_core.demo.catalog import INDUSTRIES
from cem_core.ingest.load import ImportReport, import_file
from cem_core.reference import ensure_industry
from tests.fixtures.ingest_files import write_csv

HEADER = [
    "日期", "会员号", "推荐度", "满意度", "费力度", "意见", "手机号", "阶段", "触点", "渠道", "门店", "产品", "客群",
]


def row(day: str, key: str, nps: object = "", csat: object = "", ces: object = "", comment: str = "",
        phone: str = "", stage: str = "入住", touchpoint: str = "前台入住", channel: str = "微信小程序",
        region: str = "上海", product: str = "大床房", segment: str = "金卡") -> list[str]:
    return [day, key, str(nps), str(csat), str(ces), comment, phone, stage, touchpoint, channel, region, product,
            segment]


def setup_reference(engine: Engine) -> dict[str, dict[str, int]]:
    with write_transaction(engine) as conn:
        return ensure_industry(conn, INDUSTRIES["hotel"])


def import_rows(engine: Engine, path: Path, rows: list[list[str]], **kwargs: object) -> ImportReport:
    report = import_file(engine, write_csv(path, HEADER, rows), user="tester", **kwargs)
    assert report.status == "done", report.message("en")
    return report


def items(engine: Engine) -> list[dict[str, object]]:
    """Every item with its department code, ordered by id."""
    i = ActionItem.__table__
    stmt = (select(i, Department.code.label("dept")).join(Department, Department.id == i.c.department_id)
            .order_by(i.c.id))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]
