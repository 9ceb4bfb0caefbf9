"""Every user-facing string has zh and en, every key the code uses exists, formats follow the language."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from cem_core.config import PROJECT_ROOT
from cem_core.i18n import MESSAGES, fmt_date, fmt_int, fmt_money, fmt_month, t

KEY_CALL = re.compile(r"""\b(?:T|t)\(\s*["']([a-z0-9_]+\.[a-z0-9_.]+)["']""")
SOURCES = [p for d in ("pages", "cem_core") for p in (PROJECT_ROOT / d).rglob("*.py")] + [PROJECT_ROOT / "app.py"]


def test_every_message_has_both_languages() -> None:
    for key, pair in MESSAGES.items():
        assert len(pair) == 2 and all(isinstance(x, str) and x.strip() for x in pair), key


def test_placeholders_match_between_languages() -> None:
    field = re.compile(r"{(\w+)")
    for key, (zh, en) in MESSAGES.items():
        assert set(field.findall(zh)) == set(field.findall(en)), key


def test_every_key_used_in_code_exists() -> None:
    used = {(path.name, key) for path in SOURCES for key in KEY_CALL.findall(path.read_text(encoding="utf-8"))}
    missing = sorted((f, k) for f, k in used if k not in MESSAGES)
    assert not missing, missing
    assert len(used) > 20


def test_translation_and_formats() -> None:
    assert t("nav.overview", "zh") == "总览" and t("nav.overview", "en") == "Overview"
    assert t("demo.loaded", "en", rows="1,000") == "Loaded 1,000 demo responses."
    day = dt.date(2024, 3, 5)
    assert fmt_date(day, "zh") == "2024年3月5日"
    assert fmt_date(day, "en") == "5 Mar 2024"
    assert fmt_month(day, "zh") == "2024年3月" and fmt_month(day, "en") == "Mar 2024"
    assert fmt_int(123_456, "zh") == "12.3万" and fmt_int(123_456, "en") == "123,456"
    assert fmt_money(2_500_000, "en") == "¥2.50M" and fmt_money(2_500_000, "zh") == "¥250.0万"


@pytest.mark.parametrize("path", [p for p in (PROJECT_ROOT / "cem_core").rglob("*.py")
                                  if "ui" not in p.relative_to(PROJECT_ROOT / "cem_core").parts[:1]],
                         ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_domain_library_never_imports_streamlit(path) -> None:
    assert not re.search(r"^\s*(import streamlit|from streamlit)", path.read_text(encoding="utf-8"), re.M)
