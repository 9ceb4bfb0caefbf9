"""The one masking rule and the one column map: values, free text, records, frames; audited reveals."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select

from cem_core.auth.roles import User
from cem_core.db.models import AuditEntry
from cem_core.privacy.columns import KINDS, PERSONAL_DATA, file_columns, frame_columns
from cem_core.privacy.masking import (
    MASKERS,
    mask_email,
    mask_frame,
    mask_name,
    mask_phone,
    mask_record,
    mask_text,
    mask_value,
)
from cem_core.privacy.release import reveal_or_mask


def test_masks() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("Emma Smith") == "E*** S****"
    assert mask_email("zhangsan@qq.com") == "zha****@qq.com"


def test_mask_text_masks_phones_and_emails_inside_comments() -> None:
    text = "请回电 13812345678 或发邮件 li.si@example.com，谢谢"
    masked = mask_text(text)
    assert "13812345678" not in masked and "li.si@example.com" not in masked
    assert "138****5678" in masked and "li.****@example.com" in masked
    assert mask_text("房间很干净") == "房间很干净"


def test_masking_twice_changes_nothing() -> None:
    """Views mask, then downloads mask again through the same rule: it must be idempotent."""
    for kind, value in [("name", "张三"), ("name", "Emma Smith"), ("phone", "+86 138-1234-5678"),
                        ("email", "zhangsan@qq.com"), ("id", "C-000123"), ("text", "call 13812345678 / a.b@c.cn")]:
        once = mask_value(kind, value)
        assert once != value and mask_value(kind, once) == once


def test_mask_value_keeps_types_it_does_not_change() -> None:
    day = dt.datetime(2024, 9, 15, 13, 45)
    assert mask_value("text", day) is day and mask_value("text", 9) == 9
    assert mask_value("text", 13812345678) == "138****5678"  # a phone stored as a number is still a phone
    assert mask_value("phone", None) is None and pd.isna(mask_value("phone", float("nan")))


def test_mask_frame_masks_personal_columns_and_free_text_everywhere() -> None:
    frame = pd.DataFrame({"name": ["张三", None], "phone": ["13812345678", float("nan")],
                          "email": ["zhangsan@qq.com", None], "customer_key": ["C-000123", None],
                          "comment": ["请打 13912345678 联系我", "很好"], "nps": [3, 9],
                          "store": ["门店 a@b.cn", "静安店"]})
    masked = mask_frame(frame)
    assert masked.loc[0].tolist() == ["张*", "138****5678", "zha****@qq.com", "C-****23", "请打 139****5678 联系我", 3,
                                      "门店 a****@b.cn"]
    assert pd.isna(masked.loc[1, "name"]) and pd.isna(masked.loc[1, "phone"]) and masked.loc[1, "comment"] == "很好"
    assert frame.loc[0, "phone"] == "13812345678"  # the input is untouched
    assert mask_frame(frame, unmask=True).equals(frame)
    # The caller's map names the kinds; a column it leaves out is still free text, never shown raw.
    by_caller = mask_frame(frame, {"nps": "id"})
    assert by_caller.loc[0, "phone"] == "138****5678" and by_caller.loc[0, "name"] == "张三"
    assert mask_record({"phone": 13812345678, "x": 1}) == {"phone": "138****5678", "x": 1}


def test_one_map_serves_frames_and_uploaded_files() -> None:
    assert frame_columns(["customer", "phone", "comment", "nps"]) == {"customer": "name", "phone": "phone",
                                                                      "comment": "text"}
    kinds = file_columns({"手机号": "phone", "意见": "comment", "门店": "store", "备用": "ignore"})
    assert kinds == {"手机号": "phone", "意见": "text", "门店": "text", "备用": "text"}
    assert set(PERSONAL_DATA.values()) <= set(KINDS) == set(MASKERS)  # every kind has its one masker


def test_unmasked_views_are_audited(sqlite_engine) -> None:
    frame = pd.DataFrame({"phone": ["13812345678"], "nps": [9]})
    analyst, admin = User("ann", "analyst"), User("root", "admin")
    assert reveal_or_mask(sqlite_engine, frame, analyst, target="drilldown")["phone"][0] == "138****5678"
    assert reveal_or_mask(sqlite_engine, frame, admin, target="drilldown")["phone"][0] == "13812345678"
    a = AuditEntry.__table__.c
    with sqlite_engine.connect() as conn:
        rows = conn.execute(select(a.actor, a.action, a.target, a.rows, a.detail)).all()
    assert rows == [("root", "view_unmasked", "drilldown", 1, '{"columns": ["phone"]}')]
