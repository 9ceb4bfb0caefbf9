"""SLA due times on the clock and in working hours across weekends, Chinese holidays and make-up workdays."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from cem_core.act.calendar import WorkCalendar, exceptions, load_calendar, parse_days, save_calendar, validate
from cem_core.act.items import ActionError
from cem_core.db.models import AuditEntry

CAL = WorkCalendar()  # 09:00-18:00, mainland China


def test_calendar_hours_ignore_the_calendar() -> None:
    assert CAL.add(dt.datetime(2026, 2, 13, 17), 48, working=False) == dt.datetime(2026, 2, 15, 17)


def test_working_hours_skip_a_weekend() -> None:
    # Friday 2026-03-06 16:00 + 4 working hours: 2 on Friday, the weekend skipped, 2 on Monday.
    assert CAL.add(dt.datetime(2026, 3, 6, 16), 4, working=True) == dt.datetime(2026, 3, 9, 11)
    # Outside working hours the clock starts at the next opening.
    assert CAL.add(dt.datetime(2026, 3, 7, 22), 1, working=True) == dt.datetime(2026, 3, 9, 10)


def test_spring_festival_with_its_make_up_saturday() -> None:
    # 2026 Spring Festival: Sat 14 Feb is a make-up workday (调休), 15-23 Feb are days off.
    assert CAL.is_workday(dt.date(2026, 2, 14)) and not CAL.is_workday(dt.date(2026, 2, 16))
    assert not CAL.is_workday(dt.date(2026, 2, 23)) and CAL.is_workday(dt.date(2026, 2, 24))
    # Fri 13 Feb 17:00 + 18 working hours: 1 h Friday, 9 h on the make-up Saturday, 8 h on Tue 24 Feb.
    assert CAL.add(dt.datetime(2026, 2, 13, 17), 18, working=True) == dt.datetime(2026, 2, 24, 17)
    # 5 working days (45 h) from Wed 30 Sep: National Day off 1-8 Oct except... Sat 10 Oct is a make-up day.
    assert CAL.add(dt.datetime(2026, 9, 30, 10), 45, working=True) == dt.datetime(2026, 10, 13, 10)


def test_extra_days_override_and_the_setting_round_trips(engine) -> None:
    cal = WorkCalendar(start=dt.time(8, 30), end=dt.time(17, 30), extra_holidays=frozenset({dt.date(2026, 3, 9)}),
                       extra_workdays=frozenset({dt.date(2026, 3, 8)}))
    # Sat 7 is off, Sun 8 made a workday, Mon 9 a company holiday.
    assert cal.add(dt.datetime(2026, 3, 6, 17), 2, working=True) == dt.datetime(2026, 3, 8, 10)
    assert cal.add(dt.datetime(2026, 3, 8, 17), 2, working=True) == dt.datetime(2026, 3, 10, 10)
    save_calendar(engine, cal, actor="admin")
    assert load_calendar(engine) == cal


def test_typed_days_validation_and_the_listed_exceptions() -> None:
    assert parse_days("2026-03-09\n2026/03/10, 2026-03-09") == {dt.date(2026, 3, 9), dt.date(2026, 3, 10)}
    with pytest.raises(ActionError) as bad:
        parse_days("2026-02-30")
    assert bad.value.key == "act.cal.err.date"
    for cal, key in ((WorkCalendar(start=dt.time(18), end=dt.time(9)), "act.cal.err.hours"),
                     (WorkCalendar(country="XX"), "act.cal.err.country"),
                     (WorkCalendar(extra_holidays=frozenset({dt.date(2026, 3, 9)}),
                                   extra_workdays=frozenset({dt.date(2026, 3, 9)})), "act.cal.err.both")):
        with pytest.raises(ActionError) as refused:
            validate(cal)
        assert refused.value.key == key
    # National Day 2026: the make-up Sunday 20 Sep and Saturday 10 Oct are workdays, 1-7 Oct off
    days = {day: (working, name) for day, working, name in exceptions(CAL, dt.date(2026, 9, 20), 21, "zh")}
    assert days[dt.date(2026, 9, 20)][0] and days[dt.date(2026, 10, 10)][0]
    assert days[dt.date(2026, 10, 1)] == (False, "国庆节")
    assert dt.date(2026, 10, 3) not in days  # a Saturday off anyway is no exception


def test_saving_is_audited_with_the_old_and_the_new_calendar(engine) -> None:
    save_calendar(engine, WorkCalendar(end=dt.time(17)), actor="admin")
    with pytest.raises(ActionError):
        save_calendar(engine, WorkCalendar(country="XX"), actor="admin")
    with engine.connect() as conn:
        details = [json.loads(d) for d in conn.execute(select(AuditEntry.detail).where(
            AuditEntry.action == "act_calendar")).scalars()]
    assert [(d["old"]["end"], d["new"]["end"]) for d in details] == [("18:00", "17:00")]
