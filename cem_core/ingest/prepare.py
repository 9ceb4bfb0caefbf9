"""A validated chunk -> driver-ready lists: everything about a chunk that needs no database.

Pure functions of the chunk and the installation's PII key, so they run wherever reading runs: in the
importing process for small files, in the reading process for large ones (``producer``), leaving the
process that holds the database transaction only ids to resolve and rows to insert.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cem_core.ingest import mapping as mapping_mod
from cem_core.privacy.hashing import keyed_hashes

# What makes two rows the same response (besides the resolved channel, stage and touchpoint): text fields
# and numeric fields in a fixed order, so a file that lacks a column keys its rows as one with it blank.
_KEY_TEXT = ("customer_key", "phone", "email", "region", "product", "segment", "comment", "journey_key")
_KEY_NUMBERS = ("nps", "csat", "ces", "overall_sat", "spend", "journey_step")


@dataclass
class Prepared:
    """A validated chunk as plain lists (picklable: it crosses from the reading process)."""

    n: int
    lists: dict[str, list[object]]  # field -> values, None for missing
    at_s: list[str]
    day: list[str]
    attrs: list[str]
    phone_h: list[str | None]
    email_h: list[str | None]
    content: tuple[np.ndarray, np.ndarray]  # two 64-bit keyed hashes of the row's values (see ``row_keys``)


def nullable(values: pd.Series) -> list[object]:
    """A column as Python values with None for every kind of missing (NaN, NA, NaT) - what drivers accept."""
    return values.to_numpy(dtype=object, na_value=None).tolist()


def row_key_secrets(pii_key: bytes) -> tuple[str, str]:
    """Two 16-character SipHash keys derived from the installation's PII key."""
    secret = hashlib.sha256(b"row-key:" + pii_key).hexdigest()
    return secret[:16], secret[16:32]


def content_hashes(d: pd.DataFrame, attrs: list[str], secrets: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Two keyed 64-bit hashes (SipHash-2-4 with installation secrets) of a row's own values, on typed
    columns: vectorised in pandas, so hashing a million rows costs about a second."""
    n = len(d)
    cols: dict[str, object] = {"at": d["occurred_at"].to_numpy(dtype="datetime64[us]").view("int64")}
    for f in _KEY_TEXT:
        cols[f] = nullable(d[f]) if f in d else [None] * n
    for f in (*_KEY_NUMBERS, *attrs):
        cols[f] = d[f].to_numpy(dtype="float64", na_value=np.nan) if f in d else np.full(n, np.nan)
    frame = pd.DataFrame(cols)
    h1, h2 = (pd.util.hash_pandas_object(frame, index=False, hash_key=k).to_numpy() for k in secrets)
    return h1, h2


def row_keys(content: tuple[np.ndarray, np.ndarray], secrets: tuple[str, str], channels: list[object],
             stages: list[object], touchpoints: list[object]) -> list[str]:
    """128-bit row keys: the content hashes mixed with the resolved ids, so "微信小程序" and "WeChat
    mini-program" in two files give the same key. Only this cheap numeric step waits for the database."""
    ids = {"ch": np.array(channels, dtype="float64"), "st": np.array(stages, dtype="float64"),
           "tp": np.array(touchpoints, dtype="float64")}
    halves = [pd.util.hash_pandas_object(pd.DataFrame({"c": c, **ids}), index=False, hash_key=k).to_numpy()
              for c, k in zip(content, secrets, strict=True)]
    text = np.stack(halves, axis=1).astype(">u8").tobytes().hex()
    return [text[i:i + 32] for i in range(0, len(text), 32)]


def prepare(d: pd.DataFrame, pii_key: bytes) -> Prepared:
    """The valid rows of a chunk as lists, timestamps as text, identities hashed, content hashed."""
    n = len(d)
    lists = {f: nullable(d[f]) for f in d.columns if f != "occurred_at"}
    at = d["occurred_at"]
    attrs = sorted(c for c in d.columns if c.startswith(mapping_mod.ATTRIBUTE))
    return Prepared(n, lists, at.dt.strftime("%Y-%m-%d %H:%M:%S").tolist(), at.dt.strftime("%Y-%m-%d").tolist(),
                    attrs, keyed_hashes(pii_key, lists.get("phone", [None] * n)),
                    keyed_hashes(pii_key, lists.get("email", [None] * n)),
                    content_hashes(d, attrs, row_key_secrets(pii_key)))
