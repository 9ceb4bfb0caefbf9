"""Row keys (``cem_core.ingest.row_key``): an explicit function of a row's normalised values, pinned by a
golden test so that a library upgrade or another platform cannot change them unnoticed."""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd

from cem_core.ingest.prepare import prepare
from cem_core.ingest.row_key import content_digests, content_texts, rating_texts, row_keys

KEY = b"k" * 32


def frame(**extra: list[object]) -> pd.DataFrame:
    base = {"occurred_at": pd.to_datetime(["2024-03-05 14:02", "2024-03-06 09:00"]),
            "nps": pd.array([9, 3], dtype="Int64"), "comment": ["很好", "太慢"], "phone": ["13800138000", None]}
    return pd.DataFrame({**base, **extra})


def keys_of(d: pd.DataFrame, key: bytes = KEY, channels: list[object] | None = None,
            customers: list[object] | None = None) -> list[str]:
    p = prepare(d, key)
    return row_keys(p.content, channels or [1, 1], [None, None], [None, None], customers or [None, None],
                    rating_texts(2, {}))


def test_row_keys_follow_values_not_layout() -> None:
    keys = keys_of(frame())
    assert len(set(keys)) == 2 and all(len(k) == 32 for k in keys)
    reordered = frame()[["comment", "phone", "nps", "occurred_at"]]
    assert keys_of(reordered) == keys  # column order is not content
    assert keys_of(frame(region=[None, None])) == keys  # a blank column is a missing column
    assert keys_of(frame(region=["上海", None]))[0] != keys[0]
    assert keys_of(frame(), channels=[2, 1])[0] != keys[0]  # resolved channel is part of the response
    assert keys_of(frame(), customers=[7, None])[0] != keys[0]  # so is the resolved customer
    assert keys_of(frame(), key=b"x" * 32) == keys  # the PII hash key is no part of a row key
    forged = frame(comment=["很好\x1f9", "太慢"], nps=pd.array([None, 3], dtype="Int64"))
    assert keys_of(forged)[0] != keys[0]  # a separator inside a text cannot forge another field


def test_golden_row_keys() -> None:
    """The definition, written out by hand and pinned: if this fails, stored keys would no longer match
    re-imports - write a migration that re-keys (as 0007 does) before changing the expected values."""
    rows = pd.DataFrame({
        "occurred_at": pd.to_datetime(["2024-09-15 00:00:00", "2024-03-05 14:02:07"]),
        "journey_key": [None, "J-1"], "journey_step": pd.array([None, 2], dtype="Int64"),
        "nps": pd.array([9, 0], dtype="Int64"), "csat": pd.array([None, 5], dtype="Int64"),
        "ces": pd.array([None, 7], dtype="Int64"), "overall_sat": pd.array([None, 10], dtype="Int64"),
        "spend": [None, 1288.5], "region": [None, "上海"], "product": [None, "大床房"], "segment": [None, "VIP"],
        "comment": ["Great app", "前台很热情"]})
    texts = content_texts(rows)
    assert texts == ["2024-09-15 00:00:00\x1f\x1f\x1f9\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1fGreat app",
                     "2024-03-05 14:02:07\x1fJ-1\x1f2\x1f0\x1f5\x1f7\x1f10\x1f1288.5"
                     "\x1f上海\x1f大床房\x1fVIP\x1f前台很热情"]
    content = content_digests(rows)
    assert content == [hashlib.blake2b(t.encode(), digest_size=16).hexdigest() for t in texts]
    assert content == ["2d4672354c273d0ce3c3fb0d419e4b07", "b8312b6c25373623beeac7a298b125f9"]
    ratings = rating_texts(2, {12: [None, 4], 3: [5, 2]})
    assert ratings == ["3:5", "3:2,12:4"]
    keys = row_keys(content, [1, 4], [None, 2], [None, 17], [None, 250], ratings)
    assert keys == [hashlib.blake2b(f"1\x1f\x1f\x1f\x1f3:5\x1f{content[0]}".encode(), digest_size=16).hexdigest(),
                    hashlib.blake2b(f"4\x1f2\x1f17\x1f250\x1f3:2,12:4\x1f{content[1]}".encode(),
                                    digest_size=16).hexdigest()]
    assert keys == ["dce75282d265a0dc228ef890d777b02a", "6d4a253a083ce94fdfa9d5d0908f4a26"]


def test_stored_values_give_the_same_digest_as_a_file() -> None:
    """What migration 0007 reads back (Python values, datetimes, floats, ints) keys as the file did."""
    from_file = frame(spend=[12.0, None], journey_step=pd.array([None, 3], dtype="Int64"))
    stored = pd.DataFrame.from_records(
        [(dt.datetime(2024, 3, 5, 14, 2), 9, "很好", 12.0, None), (dt.datetime(2024, 3, 6, 9), 3, "太慢", None, 3)],
        columns=["occurred_at", "nps", "comment", "spend", "journey_step"])
    assert content_digests(stored) == content_digests(from_file)
