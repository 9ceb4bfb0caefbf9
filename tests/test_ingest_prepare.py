"""Row preparation (``cem_core.ingest.prepare``): row keys depend on a row's values and the installation
key, not on how the file laid them out."""

from __future__ import annotations

import pickle

import pandas as pd

from cem_core.ingest.prepare import prepare, row_key_secrets, row_keys

KEY = b"k" * 32


def frame(**extra: list[object]) -> pd.DataFrame:
    base = {"occurred_at": pd.to_datetime(["2024-03-05 14:02", "2024-03-06 09:00"]),
            "nps": pd.array([9, 3], dtype="Int64"), "comment": ["很好", "太慢"], "phone": ["13800138000", None]}
    return pd.DataFrame({**base, **extra})


def keys_of(d: pd.DataFrame, key: bytes = KEY, channels: list[object] | None = None) -> list[str]:
    p = pickle.loads(pickle.dumps(prepare(d, key)))  # as it arrives from the reading process
    ch = channels or [1, 1]
    return row_keys(p.content, row_key_secrets(key), ch, [None, None], [None, None])


def test_row_keys_follow_values_not_layout() -> None:
    keys = keys_of(frame())
    assert len(set(keys)) == 2 and all(len(k) == 32 for k in keys)
    reordered = frame()[["comment", "phone", "nps", "occurred_at"]]
    assert keys_of(reordered) == keys  # column order is not content
    assert keys_of(frame(region=[None, None])) == keys  # a blank column is a missing column
    assert keys_of(frame(region=["上海", None]))[0] != keys[0]
    assert keys_of(frame(), channels=[2, 1])[0] != keys[0]  # resolved channel is part of the response
    assert keys_of(frame(), key=b"x" * 32) != keys  # another installation, other keys
