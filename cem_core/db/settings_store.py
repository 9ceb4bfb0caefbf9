"""Run-time settings kept in the database (``app_settings``), as opposed to deployment config."""

from __future__ import annotations

from sqlalchemy import Engine, select

from cem_core.db import write_transaction
from cem_core.db.models import AppSetting

_table = AppSetting.__table__


def get_value(engine: Engine, key: str, default: str | None = None) -> str | None:
    with engine.connect() as conn:
        value = conn.execute(select(_table.c.value).where(_table.c.key == key)).scalar()
    return default if value is None else value


def set_value(engine: Engine, key: str, value: str) -> None:
    with write_transaction(engine) as conn:
        conn.execute(_table.delete().where(_table.c.key == key))
        conn.execute(_table.insert().values(key=key, value=value))
