"""SLA due times: calendar hours, or working hours on a configurable working calendar.

The calendar knows Chinese public holidays *and* the make-up workdays (调休) on weekends that come with
them, from the ``holidays`` package (``holidays.country_holidays("CN")``: ``is_working_day`` treats a
make-up Saturday as a workday and a bridging weekday as a day off). Chosen over ``chinese-calendar``
because ``holidays`` is released monthly by many maintainers, covers every country (an installation
outside mainland China sets another code), and answers for years not yet published instead of raising
(chinese-calendar 1.11 raises ``NotImplementedError`` for 2027 today). An admin can add holidays and
make-up workdays the library does not know yet (a company day off, next year's schedule).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field

import holidays
from sqlalchemy import Engine

from cem_core import audit
from cem_core.db.settings_store import get_value, set_value

SETTING_KEY = "act_calendar"


@functools.cache
def _public_holidays(country: str) -> holidays.HolidayBase:
    return holidays.country_holidays(country)


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and hours; ``extra_holidays`` / ``extra_workdays`` override the country's calendar."""

    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(18, 0)
    country: str = "CN"
    extra_holidays: frozenset[dt.date] = field(default_factory=frozenset)
    extra_workdays: frozenset[dt.date] = field(default_factory=frozenset)

    @property
    def day_hours(self) -> float:
        return (dt.datetime.combine(dt.date.min, self.end) - dt.datetime.combine(dt.date.min, self.start)
                ).total_seconds() / 3600

    def is_workday(self, day: dt.date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        return bool(_public_holidays(self.country).is_working_day(day))

    def add(self, start: dt.datetime, hours: float, working: bool) -> dt.datetime:
        """``start`` plus ``hours``: on the clock, or counting only working hours of working days."""
        if not working:
            return start + dt.timedelta(hours=hours)
        remaining = dt.timedelta(hours=hours)
        at = start
        for _ in range(3660):  # ten years of days: a calendar without workdays must not loop forever
            day = at.date()
            if self.is_workday(day):
                opens, closes = dt.datetime.combine(day, self.start), dt.datetime.combine(day, self.end)
                at = max(at, opens)
                if at < closes:
                    if remaining <= closes - at:
                        return at + remaining
                    remaining -= closes - at
            at = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
        raise ValueError("the working calendar has no working hours")

    def to_json(self) -> str:
        return json.dumps({"start": self.start.strftime("%H:%M"), "end": self.end.strftime("%H:%M"),
                           "country": self.country, "extra_holidays": sorted(map(str, self.extra_holidays)),
                           "extra_workdays": sorted(map(str, self.extra_workdays))})

    @classmethod
    def from_json(cls, text: str) -> WorkCalendar:
        data = json.loads(text)
        return cls(start=dt.time.fromisoformat(data.get("start", "09:00")),
                   end=dt.time.fromisoformat(data.get("end", "18:00")), country=data.get("country", "CN"),
                   extra_holidays=frozenset(map(dt.date.fromisoformat, data.get("extra_holidays", []))),
                   extra_workdays=frozenset(map(dt.date.fromisoformat, data.get("extra_workdays", []))))


def load_calendar(engine: Engine) -> WorkCalendar:
    stored = get_value(engine, SETTING_KEY)
    return WorkCalendar.from_json(stored) if stored else WorkCalendar()


def save_calendar(engine: Engine, calendar: WorkCalendar, actor: str) -> None:
    if calendar.day_hours <= 0:
        raise ValueError("working day must end after it starts")
    set_value(engine, SETTING_KEY, calendar.to_json())
    audit.record(engine, actor, "act_calendar", target="settings", detail={"country": calendar.country})
