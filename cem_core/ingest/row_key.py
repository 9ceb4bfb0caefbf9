"""Row keys: which stored response a row of a file is, as an explicit function of its normalised values.

The key is defined here, not by a library's internals, so it is the same on every platform and every
library version (a golden test pins it). It is BLAKE2b (RFC 7693, Python's ``hashlib.blake2b``) with a
16-byte digest, written as 32 lower-case hex characters, over UTF-8 text, in two steps:

1. **Content digest** of the row's own values, ``CONTENT_FIELDS`` in that order joined by U+001F:

   - a missing value is empty text (and an empty text counts as missing);
   - ``occurred_at`` is ``YYYY-MM-DD HH:MM:SS``;
   - whole numbers (scores, journey step) are decimal digits: ``9``;
   - ``spend`` is Python's ``repr`` of the float, the shortest text that reads back as the same double
     (``12.5``, ``12.0``, ``1e+16``);
   - texts are as stored, with U+001E and U+001F replaced by a space so a value cannot forge a field.

   It needs no database, so it is computed where the file is read (``prepare``).
2. **Row key** of ``channel id, stage id, touchpoint id, customer id, ratings, content digest`` joined by
   U+001F: ids in decimal (empty when missing), ratings as ``attribute_id:score`` pairs in attribute-id
   order joined by ``,``.

The resolved ids rather than the names in the file make "微信小程序" and "WeChat mini-program" the same
channel, and a row with a phone number the same response as that row with the customer's id. Everything
the key covers is stored with the row, so migration 0007 recomputes every key from the database alone.
The key is not keyed with a secret: it reveals nothing its row does not hold in clear, and a change of
the PII hash key leaves it alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pandas as pd

SEP = "\x1f"
CONTENT_FIELDS = ("occurred_at", "journey_key", "journey_step", "nps", "csat", "ces", "overall_sat", "spend",
                  "region", "product", "segment", "comment")
_TEXT = ("journey_key", "region", "product", "segment", "comment")
_WHOLE = ("journey_step", "nps", "csat", "ces", "overall_sat")
_blake2b = hashlib.blake2b


def _text(values: pd.Series) -> pd.Series:
    s = values.astype(object).where(values.notna(), "")
    if s.empty:
        return s
    return s.str.replace("\x1e", " ", regex=False).str.replace(SEP, " ", regex=False)


def _whole(values: pd.Series) -> pd.Series:
    num = pd.to_numeric(values, errors="coerce")
    out = pd.Series("", index=values.index, dtype=object)
    ok = num.notna()
    out[ok] = num[ok].astype("int64").astype(str)
    return out


def _spend(values: pd.Series) -> pd.Series:
    num = pd.to_numeric(values, errors="coerce").astype("float64")
    return pd.Series([repr(float(v)) if v == v else "" for v in num.to_numpy()], index=values.index, dtype=object)


def _when(values: pd.Series) -> pd.Series:
    at = pd.to_datetime(values)
    return at.dt.strftime("%Y-%m-%d %H:%M:%S").where(at.notna(), "").astype(object)


def content_texts(frame: pd.DataFrame) -> pd.Series:
    """The canonical text of step 1 for every row of ``frame`` (columns named as ``CONTENT_FIELDS``; a
    column it lacks counts as missing). Built column by column with pandas string operations."""
    parts: list[pd.Series] = []
    for f in CONTENT_FIELDS:
        if f not in frame:
            parts.append(pd.Series("", index=frame.index, dtype=object))
        elif f == "occurred_at":
            parts.append(_when(frame[f]))
        elif f in _WHOLE:
            parts.append(_whole(frame[f]))
        elif f == "spend":
            parts.append(_spend(frame[f]))
        else:
            parts.append(_text(frame[f]))
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    return parts[0].str.cat(parts[1:], sep=SEP)


def content_digests(frame: pd.DataFrame) -> list[str]:
    """Step 1: the content digest of every row."""
    return [_blake2b(t.encode(), digest_size=16).hexdigest() for t in content_texts(frame).tolist()]


def _ids(values: Sequence[object]) -> list[str]:
    return ["" if v is None or v != v else str(int(v)) for v in values]  # type: ignore[call-overload]


def rating_texts(n: int, ratings: dict[int, Sequence[object]]) -> list[str]:
    """Per row, its ratings as ``attribute_id:score`` pairs in attribute-id order (``ratings``: attribute id ->
    the column's scores, None where a row has none)."""
    if not ratings:
        return [""] * n
    columns = [[f"{aid}:{int(s)}" if s is not None and s == s else "" for s in ratings[aid]]  # type: ignore
               for aid in sorted(ratings)]
    return [",".join(p for p in row if p) for row in zip(*columns, strict=True)]


def row_keys(content: Sequence[str], channels: Sequence[object], stages: Sequence[object],
             touchpoints: Sequence[object], customers: Sequence[object], ratings: Sequence[str]) -> list[str]:
    """Step 2: the row keys from the content digests and the resolved ids."""
    return [_blake2b(SEP.join(parts).encode(), digest_size=16).hexdigest()
            for parts in zip(_ids(channels), _ids(stages), _ids(touchpoints), _ids(customers), ratings, content,
                             strict=True)]
