"""Masking, normalisation and keyed hashes of personal data."""

from __future__ import annotations

from cem_core.pii import (
    hash_key,
    keyed_hash,
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
