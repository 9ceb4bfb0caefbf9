"""The one masking rule, for single values, free text, records and frames.

Masks follow what Chinese users expect to see: ``138****5678``, ``张*``, ``zha****@qq.com``. Phone
numbers and emails inside free text are masked wherever they are: in a column the map
(``privacy.columns``) names as text, and in every other text cell too, because a customer types a phone
into whatever box is in front of them. ``mask_frame(frame, columns, unmask)`` is what every view and
export applies, with ``unmask=user.can("unmask_pii")``; ``privacy.release`` does that and audits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping

import pandas as pd

from cem_core.privacy.columns import frame_columns

_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mask_phone(phone: str | None) -> str | None:
    if not phone or "****" in phone:  # blank, or already masked (a view's rows going out as a download)
        return phone
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) <= 11 else f"{digits[:-8]}****{digits[-4:]}"


def mask_name(name: str | None) -> str | None:
    """``张三`` -> ``张*``; ``Emma Smith`` -> ``E*** S****``."""
    if not name:
        return name
    if re.search(r"[\u4e00-\u9fff]", name):
        return name[0] + "*" * max(1, len(name) - 1)
    return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())


def mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return email
    local, domain = email.split("@", 1)
    return f"{local[:3]}****@{domain}"


def mask_id(value: str | None) -> str | None:
    if not value:
        return value
    return value[:2] + "*" * max(1, len(value) - 4) + value[-2:] if len(value) > 4 else "*" * len(value)


def mask_text(text: str | None) -> str | None:
    """Mask phone numbers and emails that customers typed into a comment."""
    if not text:
        return text
    text = _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)) or "", text)
    return _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)) or "", text)


MASKERS: dict[str, Callable[[str], str | None]] = {
    "name": mask_name, "phone": mask_phone, "email": mask_email, "id": mask_id, "text": mask_text}


def mask_value(kind: str, value: object) -> object:
    """``value`` masked as ``kind``. Blanks stay blank; a value the rule leaves alone keeps its type
    (a date stays a date), so masking every cell of a file as free text changes only what it must."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return value
    text = value if isinstance(value, str) else str(value)
    masked = MASKERS[kind](text)
    return value if masked == text else masked


def _kinds(columns: object, rule: Mapping[str, str] | None) -> dict[object, str]:
    """Every column's kind: the map's (or ``rule``'s) kind, else free text."""
    named = frame_columns(columns, rule)  # type: ignore[arg-type]
    return {c: named.get(c, "text") for c in columns}  # type: ignore[union-attr]


def mask_frame(frame: pd.DataFrame, columns: Mapping[str, str] | None = None, unmask: bool = False) -> pd.DataFrame:
    """A copy with personal data masked, unless ``unmask``.

    ``columns`` maps column -> kind (``privacy.columns.KINDS``); default: ``PERSONAL_DATA`` by name.
    Columns it does not name are masked as free text (only phones and emails inside them change).
    """
    out = frame.copy()
    if unmask:
        return out
    for col, kind in _kinds(out.columns, columns).items():
        series = out[col]
        if kind == "text" and (pd.api.types.is_float_dtype(series) or pd.api.types.is_bool_dtype(series)
                               or pd.api.types.is_datetime64_any_dtype(series)):
            continue  # no phone or email hides in these (an integer column may hold phone numbers)
        out[col] = series.map(lambda v, kind=kind: mask_value(kind, v))
    return out


def mask_record(record: Mapping[str, object], columns: Mapping[str, str] | None = None,
                unmask: bool = False) -> dict[str, object]:
    """``mask_frame`` for one record (a dict of column -> value)."""
    if unmask:
        return dict(record)
    return {c: mask_value(kind, record[c]) for c, kind in _kinds(list(record), columns).items()}
