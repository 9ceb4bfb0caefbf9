"""Translation and number/date formatting for zh and en.

Messages live in ``cem_core/i18n/messages/<area>.py`` modules, each a ``MESSAGES`` dict of
key -> (zh, en). One module per area keeps parallel work from colliding in one file; keys are
prefixed by area (``overview.nps_trend``) and a duplicate key across modules is an error at import.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
import pkgutil

from cem_core.config import LANGUAGES, default_language
from cem_core.i18n import messages as _messages_pkg


def _load() -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for info in pkgutil.iter_modules(_messages_pkg.__path__):
        module = importlib.import_module(f"{_messages_pkg.__name__}.{info.name}")
        for key, pair in module.MESSAGES.items():
            if key in merged:
                raise ValueError(f"duplicate i18n key {key!r} in messages/{info.name}.py")
            merged[key] = pair
    return merged


MESSAGES: dict[str, tuple[str, str]] = _load()


def t(key: str, lang: str | None = None, /, **kwargs: object) -> str:
    """The message ``key`` in ``lang`` (default language if None), formatted with ``kwargs``.

    An unknown key returns the key itself so a missing translation is visible, not a crash;
    tests check every key used has both languages.
    """
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    lang = lang if lang in LANGUAGES else default_language()
    text = pair[LANGUAGES.index(lang)]
    return text.format(**kwargs) if kwargs else text


def name_col(lang: str) -> str:
    """Column holding a dimension's name in ``lang`` (dimension tables store name_zh and name_en)."""
    return "name_en" if lang == "en" else "name_zh"


def fmt_int(value: float | int | None, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if lang == "zh" and abs(value) >= 100_000:
        return f"{value / 10_000:,.1f}万"
    return f"{value:,.0f}"


def fmt_num(value: float | None, lang: str, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def fmt_money(value: float | None, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if lang == "zh":
        return f"¥{value / 10_000:,.1f}万" if abs(value) >= 100_000 else f"¥{value:,.0f}"
    return f"¥{value / 1_000_000:,.2f}M" if abs(value) >= 1_000_000 else f"¥{value:,.0f}"


def fmt_pct(value: float | None, lang: str, digits: int = 1) -> str:
    """``value`` is already in percent (0-100)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}%"


def fmt_date(value: dt.date | None, lang: str) -> str:
    if value is None:
        return "–"
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return value.strftime("%d %b %Y").lstrip("0")


def fmt_month(value: dt.date, lang: str) -> str:
    return f"{value.year}年{value.month}月" if lang == "zh" else value.strftime("%b %Y")
