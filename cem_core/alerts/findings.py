"""A finding (what a rule found in one period) and the fixed period grid every rule uses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cem_core.analyze.queries import previous_period


@dataclass(frozen=True)
class Finding:
    rule_id: int | None
    measure: str
    dimension: str
    dim_key: str | None
    date_from: dt.date
    date_to: dt.date
    current: float
    previous: float
    n_current: int
    n_previous: int
    p_value: float

    @property
    def key(self) -> str:
        return f"{self.rule_id}|{self.dimension}|{self.dim_key or ''}|{self.date_from.isoformat()}"


def periods(as_of: dt.date, window_days: int) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """(previous from, previous to, current from, current to) of the grid cell holding ``as_of``."""
    start = dt.date.fromordinal(as_of.toordinal() // window_days * window_days or 1)
    end = start + dt.timedelta(days=window_days - 1)
    prev_from, prev_to = previous_period(start, end)
    return prev_from, prev_to, start, end
