"""Outer loop: an improvement tied to a touchpoint or driver shows its metric before and after the start."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cem_core.act.improvements import (
    create_improvement,
    improvements,
    metric_shift,
    suggestions,
    update_improvement,
)
from cem_core.act.items import ActionError, scope_of
from tests.act_data import import_rows, row, setup_reference

START = dt.date(2026, 3, 10)


def test_before_and_after_follow_the_anchor(engine: Engine, tmp_path: Path) -> None:
    setup_reference(engine)
    before = [row(f"2026-03-0{1 + i}", f"B{i}", nps=n, csat=c, ces=e, touchpoint="客房", stage="住宿")
              for i, (n, c, e) in enumerate([(2, 1, 2), (5, 2, 3), (9, 4, 6), (7, 3, 4)])]
    after = [row(f"2026-03-1{1 + i}", f"A{i}", nps=n, csat=c, ces=e, touchpoint="客房", stage="住宿")
             for i, (n, c, e) in enumerate([(9, 5, 7), (10, 4, 6), (6, 2, 3)])]
    other = [row("2026-03-12", "X", nps=0, csat=1, ces=1)]  # check-in: not the anchor
    import_rows(engine, tmp_path / "a.csv", before + after + other)
    nps = metric_shift(engine, "touchpoint", "room", "nps", START)
    assert (nps.before, nps.before_n, nps.after_n) == (100 * (1 - 2) / 4, 4, 3)
    assert nps.after == pytest.approx(100 * (2 - 1) / 3)
    csat = metric_shift(engine, "touchpoint", "room", "csat", START)
    assert (csat.before, csat.after) == (25.0, pytest.approx(200 / 3))
    ces = metric_shift(engine, "touchpoint", "room", "ces", START)
    assert (ces.before, ces.after) == (3.75, pytest.approx(16 / 3))
    assert metric_shift(engine, "topic", "cleanliness", "nps", START).after_n == 0  # no topic table yet

    new = create_improvement(engine, title="客房清洁流程改造", anchor_kind="touchpoint", anchor_code="room",
                             department_code="operations", owner="王芳", started_on=START, actor="admin")
    update_improvement(engine, new, progress=60, status="doing", actor="admin")
    table = improvements(engine)
    assert table.loc[0, ["progress", "status", "before_n", "after_n"]].tolist() == [60, "doing", 4, 3]
    assert table.loc[0, "change"] == pytest.approx(100 / 3 + 25)
    assert improvements(engine, scope=scope_of(engine, ("sales",))).empty
    with pytest.raises(ActionError):
        update_improvement(engine, new, progress=10, actor="x", scope=scope_of(engine, ("sales",)))
    with pytest.raises(ActionError):
        update_improvement(engine, new, progress=120, actor="admin")
    with pytest.raises(ActionError):
        create_improvement(engine, title="x", anchor_kind="colour", anchor_code="red", actor="admin")


def test_driver_anchor_and_suggestions(demo_engine: Engine) -> None:
    found = suggestions(demo_engine, "en")
    assert len(found) >= 1  # the demo plants drivers in the "concentrate here" quadrant
    shift = metric_shift(demo_engine, "driver", found["code"].iloc[0], "nps", dt.date(2026, 7, 1))
    assert shift.before_n > 0 and shift.after_n > 0
