"""Normalisation and keyed hashes of personal data."""

from __future__ import annotations

import pytest

from cem_core.privacy.hashing import hash_key, keyed_hash, keyed_hashes, normalise_email, normalise_phone


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


@pytest.mark.parametrize("key", [b"k" * 32, b"", b"s" * 64, b"long" * 40])  # a key over one block is hashed first
def test_identity_hashes_are_the_pii_rule(key: bytes) -> None:
    values = ["13800138000", "+8613800138000", "a@b.cn", "张三@例子.中国", None, ""]
    assert keyed_hashes(key, values) == [keyed_hash(key, v) for v in values]
