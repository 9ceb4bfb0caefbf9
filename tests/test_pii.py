"""Masking, normalisation and keyed hashes of personal data."""

from __future__ import annotations

import pytest

from cem_core.pii import (
    hash_key,
    keyed_hash,
    keyed_hashes,
    mask_email,
    mask_name,
    mask_phone,
    mask_text,
    normalise_email,
    normalise_phone,
)


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


def test_normalise_phone_keeps_leading_zeros_and_plus86() -> None:
    assert normalise_phone("+86 138-1234-5678") == "+8613812345678"
    assert normalise_phone("008613812345678") == "+8613812345678"
    assert normalise_phone("０２１－１２３４５６７８") == "02112345678"  # full-width digits
    assert normalise_phone("  ") is None
    assert normalise_email(" Li.Si@Example.COM ") == "li.si@example.com"


def test_keyed_hash_is_stable_per_installation(sqlite_engine) -> None:
    key = hash_key(sqlite_engine)
    assert key == hash_key(sqlite_engine)
    h = keyed_hash(key, "13812345678")
    assert h == keyed_hash(key, "13812345678") and h != keyed_hash(b"other", "13812345678")
    assert "13812345678" not in h


def test_mask_frame_masks_personal_columns_and_comment_text() -> None:
    import pandas as pd

    from cem_core.privacy import mask_frame, mask_record

    frame = pd.DataFrame({"name": ["张三", None], "phone": ["13812345678", float("nan")],
                          "email": ["zhangsan@qq.com", None], "customer_key": ["C-000123", None],
                          "comment": ["请打 13912345678 联系我", "很好"], "nps": [3, 9]})
    masked = mask_frame(frame)
    assert masked.loc[0].tolist() == ["张*", "138****5678", "zha****@qq.com", "C-****23", "请打 139****5678 联系我", 3]
    assert pd.isna(masked.loc[1, "name"]) and pd.isna(masked.loc[1, "phone"]) and masked.loc[1, "comment"] == "很好"
    assert frame.loc[0, "phone"] == "13812345678"  # the input is untouched
    assert mask_frame(frame, unmask=True).equals(frame)
    assert mask_frame(frame, {"nps": "id"})["phone"].tolist()[0] == "13812345678"  # the caller's column map rules
    assert mask_record({"phone": 13812345678, "x": 1}) == {"phone": "138****5678", "x": 1}


def test_unmasked_views_are_audited(sqlite_engine) -> None:
    import pandas as pd
    from sqlalchemy import select

    from cem_core.auth.roles import User
    from cem_core.db.models import AuditEntry
    from cem_core.privacy import reveal_or_mask

    frame = pd.DataFrame({"phone": ["13812345678"], "nps": [9]})
    analyst, admin = User("ann", "analyst"), User("root", "admin")
    assert reveal_or_mask(sqlite_engine, frame, analyst, target="drilldown")["phone"][0] == "138****5678"
    assert reveal_or_mask(sqlite_engine, frame, admin, target="drilldown")["phone"][0] == "13812345678"
    a = AuditEntry.__table__.c
    with sqlite_engine.connect() as conn:
        rows = conn.execute(select(a.actor, a.action, a.target, a.rows, a.detail)).all()
    assert rows == [("root", "view_unmasked", "drilldown", 1, '{"columns": ["phone"]}')]


@pytest.mark.parametrize("key", [b"k" * 32, b"", b"s" * 64, b"long" * 40])  # a key over one block is hashed first
def test_identity_hashes_are_the_pii_rule(key: bytes) -> None:
    values = ["13800138000", "+8613800138000", "a@b.cn", "张三@例子.中国", None, ""]
    assert keyed_hashes(key, values) == [keyed_hash(key, v) for v in values]
