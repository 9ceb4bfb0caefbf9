"""SLA due times: calendar hours, or working hours on a configurable working calendar.

The calendar knows Chinese public holidays *and* the make-up workdays (调休) on weekends that come with
them, from the ``holidays`` package (``holidays.country_holidays("CN")``: ``is_working_day`` treats a
make-up Saturday as a workday and a bridging weekday as a day off). Chosen over ``chinese-calendar``
because ``holidays`` is released monthly by many maintainers, covers every country (an installation
outside mainland China sets another code), and answers for years not yet published instead of raising
(chinese-calendar 1.11 raises ``NotImplementedError`` for 2027 today). An admin can add holidays and
make-up workdays the library does not know yet (a company day off, next year's schedule) on the Actions
page's calendar tab; the routing rules read the stored calendar whenever they compute a due time.

Times are the server's local wall-clock time, like every other time the app stores (naive datetimes), so
the calendar carries no timezone of its own.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field

import holidays
from sqlalchemy import Engine, select

from cem_core import audit
from cem_core.act.items import ActionError
from cem_core.db import write_transaction
from cem_core.db.models import AppSetting
from cem_core.db.settings_store import get_value

SETTING_KEY = "act_calendar"


@functools.cache
def _public_holidays(country: str, language: str | None = None) -> holidays.HolidayBase:
    """The country's holidays, names in ``language`` when the package has it (zh_CN, en_US for CN)."""
    supported = getattr(holidays.country_holidays(country), "supported_languages", ())
    return holidays.country_holidays(country, language=language if language in supported else None)


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


def parse_days(text: str) -> frozenset[dt.date]:
    """Dates typed one per line (or separated by commas/spaces), ``YYYY-MM-DD``; a bad one is refused by name."""
    days = set()
    for token in text.replace(",", " ").replace("，", " ").split():
        try:
            days.add(dt.date.fromisoformat(token.strip().replace("/", "-")))
        except ValueError:
            raise ActionError("act.cal.err.date", value=token[:20]) from None
    return frozenset(days)


def validate(calendar: WorkCalendar) -> None:
    """Refuse a calendar the SLA cannot use: no working hours in a day, an unknown country, a day marked
    both holiday and workday."""
    if calendar.day_hours <= 0:
        raise ActionError("act.cal.err.hours")
    if calendar.country not in holidays.list_supported_countries():
        raise ActionError("act.cal.err.country", country=calendar.country[:10])
    both = calendar.extra_holidays & calendar.extra_workdays
    if both:
        raise ActionError("act.cal.err.both", days=", ".join(sorted(map(str, both))[:5]))


def save_calendar(engine: Engine, calendar: WorkCalendar, actor: str) -> None:
    """Store the calendar and audit the change (old and new) in one transaction."""
    validate(calendar)
    table = AppSetting.__table__
    with write_transaction(engine) as conn:
        old = conn.execute(select(table.c.value).where(table.c.key == SETTING_KEY)).scalar()
        conn.execute(table.delete().where(table.c.key == SETTING_KEY))
        conn.execute(table.insert().values(key=SETTING_KEY, value=calendar.to_json()))
        audit.record(conn, actor, "act_calendar", target="settings",
                     detail={"old": json.loads(old or WorkCalendar().to_json()), "new": json.loads(calendar.to_json())})


def exceptions(calendar: WorkCalendar, start: dt.date, days: int, lang: str = "en"
               ) -> list[tuple[dt.date, bool, str]]:
    """The days in ``[start, start + days)`` that differ from a Monday-Friday week: (day, is a workday,
    the holiday's name if the country's calendar has one); what the admin checks before saving."""
    names = _public_holidays(calendar.country, "zh_CN" if lang == "zh" else "en_US")
    out = []
    for n in range(days):
        day = start + dt.timedelta(days=n)
        working = calendar.is_workday(day)
        if working != (day.weekday() < 5):
            out.append((day, working, str(names.get(day) or "")))
    return out
