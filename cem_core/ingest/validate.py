"""Validation: raw cells -> typed values, or a translated reason naming row, column and value.

Works on a whole chunk at once with pandas string operations (a million rows must validate in seconds).
Rules, each with a reason key in ``cem_core/i18n/messages/ingest.py``:

- scores are whole numbers in range: NPS 0-10, CSAT 1-5, CES 1-7, overall satisfaction 1-10,
  attribute ratings 1-5 (a 1-10 attribute is stored as ceil(score / 2), so 9-10 -> 5);
- dates: ISO, Chinese (2024年3月5日 14时02分, 2024/3/5 14:02, 2024.3.5), 20240305, Excel serials in the
  workbook's 1900 or 1904 system, real date cells; years 1990..tomorrow; year-last dates as English
  exports write them (09/15/2024 3:45 PM, 15.09.2024, 9/15/24) in the column's ``date_order``: ``mdy``
  month first, ``dmy`` day first, ``ymd`` year-first dates only (see ``infer_date_order``);
- full-width digits and punctuation are folded (１２３ -> 123) before numbers, dates, phones, emails;
- phones keep leading zeros and a +86 prefix (same rule as ``privacy.hashing.normalise_phone``); 5-15 digits;
- text longer than its column (comment: 5,000 characters) is an error, not silently cut;
- a row needs a date and at least one of NPS, CSAT, CES or comment. Rows with no value at all are
  blank lines and are ignored, not counted.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# The formula marker, parentheses etc. are folded too: NFKC for the ASCII block is a fixed offset.
FOLD = str.maketrans({**{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}, "\u3000": " "})
SCORES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "overall_sat": (1, 10)}
TEXT_LIMITS: dict[str, int] = {"comment": 5000, "region": 64, "product": 128, "segment": 64, "name": 128,
                               "customer_key": 128, "journey_key": 64, "channel": 128, "stage": 128,
                               "touchpoint": 128, "email": 255}
MEASURES = ("nps", "csat", "ces", "comment")
MAX_ERRORS = 1000  # error details kept per file; counts are always complete
SAMPLES = 5  # failing values kept per column and reason and chunk, to describe what a column looks like
MIN_YEAR = 1990
_EPOCH_1900 = pd.Timestamp("1899-12-30")  # Excel's 1900 system (its fictitious 1900-02-29 absorbed)
_EPOCH_1904 = pd.Timestamp("1904-01-01")
# Character classes as literal characters, not \u escapes: pandas hands a pattern RE2 understands to
# Arrow (vectorised, 4x faster on a million cells) and falls back to Python's re cell by cell otherwise.
_CJK = f"[{chr(0x4E00)}-{chr(0x9FFF)}]"
_WIDE = f"[{chr(0xFF01)}-{chr(0xFF5E)}{chr(0x3000)}]"
_DATE_PARTS = re.compile(
    r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:\s*(?P<hour>\d{1,2}):(?P<minute>\d{1,2})(?::(?P<second>\d{1,2}))?(?:\.\d+)?)?$")
# Year-last: 09/15/2024, 15.09.2024 14:02, 9/15/24 3:45 PM. Which of a and b is the month is the column's
# date order; a two-digit year is 20yy unless that lies in the future.
_YEAR_LAST = re.compile(
    r"^(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<year>\d{4}|\d{2})"
    r"(?:[T ,]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?(?:\.\d+)?\s*(?P<ampm>[AaPp][Mm])?)?$")
DATE_ORDERS = ("mdy", "dmy", "ymd")
_COMPACT = re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})$")
_LANGS = {"zh": "zh", "zh-cn": "zh", "cn": "zh", "中文": "zh", "汉语": "zh", "chinese": "zh",
          "en": "en", "en-us": "en", "英文": "en", "英语": "en", "english": "en"}


@dataclass(frozen=True)
class Problem:
    row: int  # file row (1-based, as in Excel)
    column: str
    value: str
    reason: str  # message key
    values: tuple[tuple[str, object], ...] = ()


@dataclass
class Checked:
    """One validated chunk: typed ``data``, ``valid`` and ``blank`` masks, problems of invalid rows."""

    data: pd.DataFrame
    valid: pd.Series
    blank: pd.Series
    problems: list[Problem] = field(default_factory=list)
    first_reason: pd.Series | None = None  # per invalid row: (key, values) of its first problem
    counts: dict[str, int] = field(default_factory=dict)
    # per (column header, reason key): failing cells, and the first few failing values as they were
    by_column: dict[tuple[str, str], int] = field(default_factory=dict)
    samples: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def as_text(col: pd.Series, text_cells: bool) -> pd.Series:
    """Cells as stripped strings ('' for blank); xlsx numbers 13800138000.0 -> '13800138000'."""
    if not text_cells:
        col = _typed_text(col)
    return col.astype(str).str.strip()


def _typed_text(col: pd.Series) -> pd.Series:
    """``_cell_text`` of every cell, vectorised for the columns a sheet nearly always has: all text or all
    numbers (a cell-by-cell map costs seconds on a 200k-row sheet)."""
    kind = pd.api.types.infer_dtype(col, skipna=True)
    if kind in ("string", "empty"):
        return col.where(col.notna(), "")
    if kind not in ("integer", "floating", "mixed-integer-float"):
        return col.map(_cell_text)
    num = col.astype("float64")
    whole = num.notna() & (num == num.round()) & (num.abs() < 1e16)
    out = pd.Series("", index=col.index, dtype=object)
    out[whole] = num[whole].astype("int64").astype(str)
    rest = num.notna() & ~whole
    if rest.any():
        out[rest] = col[rest].map(_cell_text)
    return out


def _cell_text(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    return str(v)


def fold(s: pd.Series) -> pd.Series:
    """Full-width -> ASCII, only on the cells that have any (a vectorised test first: most have none)."""
    wide = s.str.contains(_WIDE, regex=True)
    if not wide.any():
        return s
    out = s.copy()
    out[wide] = s[wide].str.translate(FOLD)
    return out


def parse_int(text: pd.Series, lo: int, hi: int) -> tuple[pd.Series, list[tuple[pd.Series, str, dict]]]:
    blank = text == ""
    num = pd.to_numeric(text.where(~blank), errors="coerce")  # the common case: plain digits
    slow = num.isna() & ~blank
    if slow.any():
        t = fold(text[slow]).str.replace(r"\s*分$", "", regex=True).str.strip()
        num = num.astype(float)
        num[slow] = pd.to_numeric(t, errors="coerce")
    not_num = ~blank & num.isna()
    not_whole = num.notna() & (num != num.round())
    out = num.notna() & ~not_whole & ((num < lo) | (num > hi))
    ok = num.notna() & ~not_whole & ~out
    values = num.where(ok).round().astype("Int64")
    return values, [(not_num, "ingest.reason.not_number", {}), (not_whole, "ingest.reason.not_whole", {}),
                    (out, "ingest.reason.range", {"lo": lo, "hi": hi})]


def parse_money(text: pd.Series) -> tuple[pd.Series, list[tuple[pd.Series, str, dict]]]:
    t = fold(text).str.replace(r"[¥￥$,\s]|元|RMB|CNY", "", regex=True)
    blank = t == ""
    num = pd.to_numeric(t.where(~blank), errors="coerce")
    bad = ~blank & num.isna()
    neg = num < 0
    return num.where(~neg), [(bad, "ingest.reason.not_number", {}), (neg, "ingest.reason.negative", {})]


def _strip_tz(t: pd.Series) -> pd.Series:
    # A group and a back-reference, not a look-behind: RE2 (Arrow, vectorised) has no look-around.
    return t.str.replace(r"(\d)(?:Z|[+-]\d{2}:?\d{2})$", r"\1", regex=True)


def _chinese_to_iso(t: pd.Series) -> pd.Series:
    t = t.str.replace(r"\s*(上午|AM|am)\s*", " ", regex=True)
    t = t.str.replace(r"[年月/.]", "-", regex=True).str.replace(r"[日号]", " ", regex=True)
    t = t.str.replace(r"[时点](?=\d)", ":", regex=True).str.replace(r"分(?=\d)", ":", regex=True)
    t = t.str.replace(r"[时点分秒]", "", regex=True).str.replace(r"T", " ", regex=False)
    return t.str.replace(r"\s+", " ", regex=True).str.strip().str.rstrip("-")


def _from_parts(t: pd.Series, pattern: re.Pattern[str]) -> pd.Series:
    parts = t.str.extract(pattern)
    if parts.empty or parts["year"].isna().all():
        return pd.Series(pd.NaT, index=t.index, dtype="datetime64[us]")
    cols = {k: pd.to_numeric(parts[k], errors="coerce") for k in parts.columns}
    for k in ("hour", "minute", "second"):
        cols[k] = cols.get(k, pd.Series(0, index=t.index)).fillna(0)
    return pd.to_datetime(pd.DataFrame(cols), errors="coerce").astype("datetime64[us]")


def _year_last_parts(t: pd.Series) -> pd.DataFrame:
    """The numeric parts of year-last dates (NaN where a cell has another shape)."""
    parts = t.str.extract(_YEAR_LAST)
    out = pd.DataFrame({k: pd.to_numeric(parts[k], errors="coerce") for k in parts.columns if k != "ampm"})
    out["pm"] = parts["ampm"].str.lower().eq("pm")
    out["am"] = parts["ampm"].str.lower().eq("am")
    return out


def infer_date_order(text: pd.Series) -> tuple[str | None, int]:
    """The order a column's year-last dates must be in, from its values, and how many such values it has:
    a first part above 12 can only be a day (``dmy``), a second part above 12 only a day (``mdy``).
    None when no value decides (every part 12 or less), or the column has no year-last dates. When both
    kinds occur the majority decides; the others are reported as errors."""
    parts = _year_last_parts(fold(text.astype(str).str.strip()))
    shaped = int(parts["a"].notna().sum())
    day_first, month_first = int((parts["a"] > 12).sum()), int((parts["b"] > 12).sum())
    if day_first == month_first == 0:
        return None, shaped
    return ("dmy" if day_first > month_first else "mdy"), shaped


def _from_year_last(t: pd.Series, order: str) -> pd.Series:
    """Year-last dates in the column's order; NaT for other shapes, impossible dates and ``ymd`` columns
    (there a year-last value is an error, not a guess). 12 AM is midnight, 12 PM noon."""
    parts = _year_last_parts(t)
    if order == "ymd" or parts["a"].isna().all():
        return pd.Series(pd.NaT, index=t.index, dtype="datetime64[us]")
    month, day = (parts["a"], parts["b"]) if order == "mdy" else (parts["b"], parts["a"])
    year = parts["year"]
    short = year < 100
    if short.any():
        next_year = dt.date.today().year + 1
        year = year.where(~short, np.where(2000 + year <= next_year, 2000 + year, 1900 + year))
    hour = parts["hour"].fillna(0)
    twelve = parts["pm"] | parts["am"]
    bad_hour = twelve & ((hour < 1) | (hour > 12))
    hour = hour.where(~twelve, hour % 12 + np.where(parts["pm"], 12, 0)).where(~bad_hour)
    cols = {"year": year, "month": month, "day": day, "hour": hour, "minute": parts["minute"].fillna(0),
            "second": parts["second"].fillna(0)}
    return pd.to_datetime(pd.DataFrame(cols), errors="coerce").astype("datetime64[us]")


def from_serial(num: pd.Series, date1904: bool) -> pd.Series:
    """Excel serial day numbers (fraction = time of day) -> timestamps, to the second."""
    origin = _EPOCH_1904 if date1904 else _EPOCH_1900
    ok = num.between(1, 2_958_465)
    secs = (num.where(ok) * 86400).round()
    return (origin + pd.to_timedelta(secs, unit="s")).astype("datetime64[us]")


def parse_dates(raw: pd.Series, text_cells: bool, date1904: bool, order: str = "mdy"
                ) -> tuple[pd.Series, list[tuple[pd.Series, str, dict]]]:
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    if not text_cells:  # xlsx: date cells arrive as datetimes, serial numbers as floats
        is_dt = raw.map(lambda v: isinstance(v, dt.date))
        if is_dt.any():
            out[is_dt] = pd.to_datetime(raw[is_dt].map(lambda v: v if isinstance(v, dt.datetime)
                                                        else dt.datetime.combine(v, dt.time())))
        is_num = raw.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v == v)
        if is_num.any():
            out[is_num] = from_serial(raw[is_num].astype(float), date1904)
        text = as_text(raw.where(~(is_dt | is_num), ""), False)
    else:
        text = raw.str.strip()
    t = fold(text)
    blank = (t == "") & out.isna()
    todo = ~blank & out.isna()
    if todo.any():
        out[todo] = pd.to_datetime(_strip_tz(t[todo]), format="ISO8601", errors="coerce")
    todo &= out.isna()
    if todo.any():
        out[todo] = _from_year_last(t[todo], order)
    todo &= out.isna()
    if todo.any():
        out[todo] = _from_parts(_chinese_to_iso(t[todo]), _DATE_PARTS)
    todo &= out.isna()
    if todo.any():
        out[todo] = _from_parts(t[todo], _COMPACT)
    todo &= out.isna()
    if todo.any():
        num = pd.to_numeric(t[todo], errors="coerce")
        out[todo] = from_serial(num, date1904)
    bad = ~blank & out.isna()
    latest = pd.Timestamp(dt.datetime.now() + dt.timedelta(days=1))
    out_of_range = out.notna() & ((out.dt.year < MIN_YEAR) | (out > latest))
    missing = blank
    return out.where(~out_of_range).dt.floor("s"), [
        (missing, "ingest.reason.no_date", {}), (bad, "ingest.reason.bad_date", {}),
        (out_of_range, "ingest.reason.date_range", {"min": MIN_YEAR})]


def parse_phone(text: pd.Series) -> tuple[pd.Series, list[tuple[pd.Series, str, dict]]]:
    """Digits only, +86/0086 kept as +86, leading zeros kept (as ``privacy.hashing.normalise_phone``)."""
    t = fold(text).str.strip()
    blank = t == ""
    plus86 = t.str.replace(" ", "", regex=False).str.match(r"^(\+|00)86")
    digits = t.str.replace(r"\D", "", regex=True)
    digits = digits.where(~plus86, np.where(digits.str.startswith("86"), digits.str[2:], digits.str[4:]))
    bad = ~blank & ((digits.str.len() < 5) | (digits.str.len() > 15))
    value = ("+86" + digits).where(plus86, digits)
    return value.where(~blank & ~bad), [(bad, "ingest.reason.phone", {})]


def parse_email(text: pd.Series) -> tuple[pd.Series, list[tuple[pd.Series, str, dict]]]:
    t = fold(text).str.strip().str.lower()
    blank = t == ""
    bad = ~blank & ~t.str.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    return t.where(~blank & ~bad), [(bad, "ingest.reason.email", {}),
                                    (t.str.len() > TEXT_LIMITS["email"], "ingest.reason.too_long",
                                     {"max": TEXT_LIMITS["email"]})]


def parse_text(text: pd.Series, limit: int) -> tuple[pd.Series, list[tuple[pd.Series, str, dict]]]:
    t = text.str.replace("\x00", "", regex=False)
    long = t.str.len() > limit
    return t.where((t != "") & ~long), [(long, "ingest.reason.too_long", {"max": f"{limit:,}"})]


def parse_language(text: pd.Series) -> pd.Series:
    t = text.str.lower()
    return t.map(_LANGS).fillna(t.str[:8]).where(t != "")


def validate_chunk(raw: pd.DataFrame, columns: dict[str, int], attributes: dict[str, tuple[int, int]],
                   headers: list[str], *, text_cells: bool, date1904: bool, date_order: str = "mdy") -> Checked:
    """Validate one chunk. ``columns``: field -> column position; ``attributes``: name -> (position, scale);
    ``date_order``: how year-last dates in the date column are read (``DATE_ORDERS``)."""
    index = raw.index
    texts: dict[int, pd.Series] = {}

    def text(pos: int) -> pd.Series:
        if pos not in texts:
            texts[pos] = as_text(raw[pos], text_cells)
        return texts[pos]

    used = sorted(set(columns.values()) | {p for p, _ in attributes.values()})
    blank = pd.Series(True, index=index)
    for pos in used:
        blank &= text(pos) == ""
    data = pd.DataFrame(index=index)
    checks: list[tuple[str, pd.Series, str, dict]] = []  # (column header, bad mask, reason, values)

    def add(f: str, pos: int, result: tuple[pd.Series, list]) -> None:
        data[f] = result[0]
        checks.extend((headers[pos], mask, key, vals) for mask, key, vals in result[1])

    if "occurred_at" in columns:
        pos = columns["occurred_at"]
        add("occurred_at", pos, parse_dates(raw[pos] if not text_cells else text(pos), text_cells, date1904,
                                             date_order))
    for f, (lo, hi) in SCORES.items():
        if f in columns:
            add(f, columns[f], parse_int(text(columns[f]), lo, hi))
    for name, (pos, scale) in attributes.items():
        values, problems = parse_int(text(pos), 1, scale)
        data["attribute:" + name] = values if scale == 5 else (values + 1) // 2
        checks.extend((headers[pos], m, k, v) for m, k, v in problems)
    if "spend" in columns:
        add("spend", columns["spend"], parse_money(text(columns["spend"])))
    if "journey_step" in columns:
        add("journey_step", columns["journey_step"], parse_int(text(columns["journey_step"]), 0, 32767))
    if "phone" in columns:
        add("phone", columns["phone"], parse_phone(text(columns["phone"])))
    if "email" in columns:
        add("email", columns["email"], parse_email(text(columns["email"])))
    for f, limit in TEXT_LIMITS.items():
        if f in columns and f != "email":
            add(f, columns[f], parse_text(text(columns[f]), limit))
    if "language" in columns:
        data["language"] = parse_language(text(columns["language"]))
    elif "comment" in data:
        c = data["comment"]
        data["language"] = pd.Series(np.where(c.str.contains(_CJK, na=False), "zh", "en"), index=index).where(
            c.notna())
    if "occurred_at" not in data:
        data["occurred_at"] = pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
        checks.append(("", pd.Series(True, index=index), "ingest.reason.no_date", {}))
    present = [data[f].notna() for f in MEASURES if f in data]
    has_measure = pd.concat(present, axis=1).any(axis=1) if present else pd.Series(False, index=index)
    checks.append(("", ~has_measure, "ingest.reason.no_measure", {}))

    invalid = pd.Series(False, index=index)
    first = pd.Series(None, index=index, dtype=object)
    problems: list[Problem] = []
    counts: dict[str, int] = {}
    by_column: dict[tuple[str, str], int] = {}
    samples: dict[tuple[str, str], list[str]] = {}
    for header, mask, key, vals in checks:
        mask = mask.fillna(False).astype(bool) & ~blank
        if not mask.any():
            continue
        n_bad = int(mask.sum())
        counts[key] = counts.get(key, 0) + n_bad
        by_column[(header, key)] = by_column.get((header, key), 0) + n_bad
        if header in headers and (header, key) not in samples:
            samples[(header, key)] = text(headers.index(header))[mask].head(SAMPLES).str.slice(0, 60).tolist()
        first = first.where(first.notna() | ~mask, pd.Series([(key, vals, header)] * len(index), index=index))
        invalid |= mask
        if len(problems) < MAX_ERRORS:
            rows = index[mask][: MAX_ERRORS - len(problems)]
            pos = headers.index(header) if header in headers else None
            for r in rows:
                value = "" if pos is None else str(text(pos).at[r])[:200]
                problems.append(Problem(int(r) + 1, header, value, key, tuple(sorted(vals.items()))))
    valid = ~invalid & ~blank
    return Checked(data, valid, blank, problems, first.where(invalid), counts, by_column, samples)
