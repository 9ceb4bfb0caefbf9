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


def _text(values: pd.Series) -> list[str]:
    # A list comprehension, not ``.str.replace``: str.replace of a character a text lacks costs ~50 ns, and
    # pandas' string methods loop in Python too, with more overhead (measured 8x slower per column).
    return [v.replace("\x1e", " ").replace(SEP, " ") if isinstance(v, str) else ""
            for v in values.to_numpy(dtype=object, na_value=None).tolist()]


def _whole(values: pd.Series) -> list[str]:
    num = pd.to_numeric(values, errors="coerce")
    out = pd.Series("", index=values.index, dtype=object)
    ok = num.notna()
    out[ok] = num[ok].astype("int64").astype(str)
    return out.tolist()


def _spend(values: pd.Series) -> list[str]:
    num = pd.to_numeric(values, errors="coerce").astype("float64")
    return [repr(v) if v == v else "" for v in num.tolist()]


def _when(values: pd.Series) -> list[str]:
    at = pd.to_datetime(values)
    return at.dt.strftime("%Y-%m-%d %H:%M:%S").where(at.notna(), "").tolist()


def _parts(frame: pd.DataFrame, at_text: list[str] | None) -> list[list[str]]:
    """Per field of ``CONTENT_FIELDS``, its canonical text for every row (a missing column: all empty)."""
    parts: list[list[str]] = []
    for f in CONTENT_FIELDS:
        if f not in frame:
            parts.append([""] * len(frame))
        elif f == "occurred_at":
            parts.append(at_text if at_text is not None else _when(frame[f]))
        elif f in _WHOLE:
            parts.append(_whole(frame[f]))
        elif f == "spend":
            parts.append(_spend(frame[f]))
        else:
            parts.append(_text(frame[f]))
    return parts


def content_texts(frame: pd.DataFrame) -> list[str]:
    """The canonical text of step 1 for every row of ``frame`` (columns named as ``CONTENT_FIELDS``)."""
    return [SEP.join(row) for row in zip(*_parts(frame, None), strict=True)]


def content_digests(frame: pd.DataFrame, at_text: list[str] | None = None) -> list[str]:
    """Step 1: the content digest of every row. ``at_text``: ``occurred_at`` already as canonical text (the
    importer has it for the insert), saving a second formatting of a million timestamps."""
    return [_blake2b(SEP.join(row).encode(), digest_size=16).hexdigest()
            for row in zip(*_parts(frame, at_text), strict=True)]


def _ids(values: Sequence[object]) -> list[str]:
    """Ids as decimal text, each distinct id formatted once (a chunk has a handful of channels)."""
    text = {v: "" if v is None or v != v else str(int(v)) for v in set(values)}  # type: ignore[call-overload]
    return [text[v] for v in values]


def rating_texts(n: int, ratings: dict[int, Sequence[object]]) -> list[str]:
    """Per row, its ratings as ``attribute_id:score`` pairs in attribute-id order (``ratings``: attribute id ->
    the column's whole-number scores, None where a row has none)."""
    columns = [[f"{aid}:{s}" if s is not None and s == s else "" for s in ratings[aid]]  # type: ignore
               for aid in sorted(ratings)]
    if len(columns) <= 1:
        return columns[0] if columns else [""] * n
    return [",".join(p for p in row if p) for row in zip(*columns, strict=True)]


def row_keys(content: Sequence[str], channels: Sequence[object], stages: Sequence[object],
             touchpoints: Sequence[object], customers: Sequence[object], ratings: Sequence[str]) -> list[str]:
    """Step 2: the row keys from the content digests and the resolved ids."""
    return [_blake2b(f"{ch}{SEP}{st}{SEP}{tp}{SEP}{cu}{SEP}{r}{SEP}{c}".encode(), digest_size=16).hexdigest()
            for ch, st, tp, cu, r, c in zip(_ids(channels), _ids(stages), _ids(touchpoints), _ids(customers),
                                            ratings, content, strict=True)]
