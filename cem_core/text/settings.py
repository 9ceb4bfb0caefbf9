"""The admin's text settings, versioned in ``text_settings``: the newest version is the active one.

A version holds the industry template and the overrides merged on top of its shipped defaults
(``dictionaries.build_config``). Saving never edits an older version, so what each stored comment was
analysed with (``response_text.version``) stays on record, and a rebuild knows which comments are stale.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, func, or_, select

from cem_core.config import get_setting
from cem_core.db import write_transaction
from cem_core.db.models import Response, ResponseText, TextSettingsVersion
from cem_core.text.dictionaries import INDUSTRIES, TextConfig, build_config, default_overrides

_table = TextSettingsVersion.__table__


def default_industry() -> str:
    industry = get_setting("demo_industry")
    return industry if industry in INDUSTRIES else "hotel"


def active(conn: Connection) -> tuple[int, str, dict[str, Any]]:
    """(version, industry, overrides) of the newest saved version; version 0 = shipped defaults."""
    row = conn.execute(select(_table.c.version, _table.c.industry, _table.c.content)
                       .order_by(_table.c.version.desc()).limit(1)).first()
    if row is None:
        return 0, default_industry(), default_overrides()
    return int(row.version), row.industry, {**default_overrides(), **json.loads(row.content)}


@lru_cache(maxsize=8)
def _config(version: int, industry: str, content: str) -> TextConfig:
    return build_config(industry, json.loads(content), version)


def active_config(conn: Connection) -> TextConfig:
    """The config every writer analyses with (cached per version)."""
    version, industry, overrides = active(conn)
    return _config(version, industry, json.dumps(overrides, sort_keys=True, ensure_ascii=False))


def active_config_of(engine: Engine) -> TextConfig:
    with engine.connect() as conn:
        return active_config(conn)


def save(engine: Engine, industry: str, overrides: dict[str, Any], *, user: str, note: str | None = None) -> int:
    """Store a new version and return its number (the caller then rebuilds, see ``store.rebuild``)."""
    if industry not in INDUSTRIES:
        raise ValueError(industry)
    content = {**default_overrides(), **overrides}
    build_config(industry, content)  # refuse a version that cannot be built (bad weights, bad topics)
    with write_transaction(engine) as conn:
        current = conn.execute(select(func.coalesce(func.max(_table.c.version), 0))).scalar_one()
        version = int(current) + 1
        conn.execute(_table.insert().values(version=version, industry=industry, created_by=user,
                                            created_at=dt.datetime.now(), note=(note or "")[:255],
                                            content=json.dumps(content, ensure_ascii=False)))
    return version


def history(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(select(_table.c.version, _table.c.industry, _table.c.created_by, _table.c.created_at,
                                   _table.c.note).order_by(_table.c.version.desc())).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["version", "industry", "created_by", "created_at", "note"])


def affected(engine: Engine, words: list[str]) -> int:
    """How many stored comments contain any of ``words``: what a dictionary change will re-analyse
    (a change of industry or lexicon can move any comment: then count every analysed comment)."""
    words = [w for w in words if w]
    rt, r = ResponseText.__table__, Response.__table__
    with engine.connect() as conn:
        if not words:
            return int(conn.execute(select(func.count()).select_from(rt)).scalar_one())
        cond = or_(*(r.c.comment.contains(w, autoescape=True) for w in words[:200]))
        return int(conn.execute(select(func.count()).select_from(r).where(r.c.comment.is_not(None), cond)).scalar_one())


def stale(engine: Engine) -> int:
    """Analysed comments whose version is not the active one."""
    rt = ResponseText.__table__
    with engine.connect() as conn:
        version = active(conn)[0]
        return int(conn.execute(select(func.count()).select_from(rt).where(rt.c.version != version)).scalar_one())


def config_for_demo(conn: Connection, industry: str) -> TextConfig:
    """The demo's comments are analysed with the saved settings if an admin saved any, else with the
    defaults of the demo's own industry (an airline demo gets the airline taxonomy)."""
    if active(conn)[0]:
        return active_config(conn)
    return build_config(industry if industry in INDUSTRIES else "hotel")
