"""Alert evaluation on planted data: the drop fires once with the trend test's p-value; noise does not."""

from __future__ import annotations

import json
import math

import pytest
from sqlalchemy import select

from cem_core.alerts.evaluate import evaluate, periods
from cem_core.alerts.inbox import alert_list, mark_read, unread_count
from cem_core.alerts.rules import Rule, list_rules, save_rule
from cem_core.analyze.metrics import NpsResult, nps_diff_significant
from cem_core.analyze.stats import nps_diff_p, proportion_diff_p, proportion_diff_significant, t_p, welch_p
from cem_core.auth.roles import User
from cem_core.cli import main
from cem_core.db.models import Alert, Touchpoint
from tests.alerts_data import AS_OF, WINDOW, load_planted, load_text_spike


def test_periods_are_adjacent_and_equal():
    prev_from, prev_to, cur_from, cur_to = periods(AS_OF, WINDOW)
    assert cur_from <= AS_OF <= cur_to
    assert (cur_to - cur_from).days == (prev_to - prev_from).days == WINDOW - 1
    assert (cur_from - prev_to).days == 1


def test_p_values_agree_with_the_trend_page_tests():
    for a, b in [((120, 60, 20), (60, 60, 80)), ((6, 3, 1), (3, 3, 4)), ((50, 30, 20), (45, 30, 25))]:
        x, y = NpsResult(sum(a), a[0], a[1], a[2]), NpsResult(sum(b), b[0], b[1], b[2])
        assert (nps_diff_p(x, y) < 0.05) == nps_diff_significant(x, y)
    assert (proportion_diff_p(30, 100, 45, 100) < 0.05) == proportion_diff_significant(30, 100, 45, 100)
    # Student's t: t = 2.228 is the two-sided 5% point at 10 df.
    assert t_p(2.228, 10) == pytest.approx(0.05, abs=2e-4)
    assert welch_p(30, 150.0, 800.0, 30, 150.0, 800.0) == pytest.approx(1.0)


def test_planted_touchpoint_drop_fires_once_with_its_p_value(engine):
    load_planted(engine)
    save_rule(engine, Rule("tp nps", measure="nps", dimension="touchpoint", window_days=WINDOW, min_n=30), "admin")
    fired = evaluate(engine, AS_OF)
    assert len(fired) == 1
    with engine.connect() as conn:
        alert = conn.execute(select(Alert)).mappings().one()
        drop_id = conn.execute(select(Touchpoint.id).where(Touchpoint.code == "tp_drop")).scalar_one()
    assert alert["dim_key"] == str(drop_id)
    assert alert["previous"] == pytest.approx(50.0) and alert["current"] == pytest.approx(-10.0)
    assert alert["n_current"] == alert["n_previous"] == 200
    expected = nps_diff_p(NpsResult(200, 60, 60, 80), NpsResult(200, 120, 60, 20))
    assert math.isclose(alert["p_value"], expected, rel_tol=1e-9) and expected < 1e-6
    assert evaluate(engine, AS_OF) == []  # the same finding never fires twice


def test_small_segment_noise_does_not_fire_without_min_n(engine):
    load_planted(engine)
    save_rule(engine, Rule("segments", measure="nps", dimension="segment", window_days=WINDOW, min_n=30), "admin")
    fired = evaluate(engine, AS_OF)
    with engine.connect() as conn:
        keys = [k for (k,) in conn.execute(select(Alert.dim_key).where(Alert.id.in_(fired)))]
    assert keys == ["tp_drop"]  # tp_small dropped as far, on 10 answers: below min_n


def test_csat_and_ces_drops_and_overall(engine):
    load_planted(engine)
    for measure in ("csat", "ces"):
        save_rule(engine, Rule(measure, measure=measure, dimension="segment", window_days=WINDOW), "admin")
    save_rule(engine, Rule("overall", measure="nps", dimension="overall", window_days=WINDOW), "admin")
    assert len(list_rules(engine)) == 3
    fired = evaluate(engine, AS_OF)
    with engine.connect() as conn:
        got = sorted((m, d, k) for m, d, k in conn.execute(
            select(Alert.measure, Alert.dimension, Alert.dim_key).where(Alert.id.in_(fired))))
    assert got == [("ces", "segment", "tp_drop"), ("csat", "segment", "tp_drop"), ("nps", "overall", None)]


def test_negative_and_topic_spikes_fire_once(engine):
    load_text_spike(engine)
    save_rule(engine, Rule("neg", measure="negative", window_days=WINDOW, min_n=30), "admin")
    save_rule(engine, Rule("topics", measure="topic", window_days=WINDOW, min_n=30), "admin")
    fired = evaluate(engine, AS_OF)
    with engine.connect() as conn:
        got = conn.execute(select(Alert.measure, Alert.dimension, Alert.previous, Alert.current, Alert.p_value)
                           .where(Alert.id.in_(fired))).all()
    negative = [g for g in got if g.measure == "negative"]
    assert len(negative) == 1
    assert (negative[0].previous, negative[0].current) == pytest.approx((10.0, 50.0))
    assert negative[0].p_value == pytest.approx(proportion_diff_p(40, 80, 8, 80))
    assert any(g.measure == "topic" and g.dimension == "topic" for g in got)
    assert evaluate(engine, AS_OF) == []


def test_cli_alerts_run_fires_once(engine, capsys):
    load_planted(engine)
    save_rule(engine, Rule("tp nps", dimension="touchpoint", window_days=WINDOW), "admin")
    assert main(["alerts", "run", "--as-of", AS_OF.isoformat(), "--json"], engine) == 0
    assert len(json.loads(capsys.readouterr().out)["fired"]) == 1
    assert main(["alerts", "run", "--as-of", AS_OF.isoformat(), "--json"], engine) == 0
    assert json.loads(capsys.readouterr().out)["fired"] == []


def test_inbox_unread_and_recipients(engine):
    load_planted(engine)
    save_rule(engine, Rule("tp", dimension="touchpoint", window_days=WINDOW, users=("ann",),
                           departments=("customer_service",)), "admin")
    [alert_id] = evaluate(engine, AS_OF)
    ann, lead, other = User("ann", "analyst"), User("li", "dept_lead", ("customer_service",)), User("bo", "analyst")
    assert [unread_count(engine, u) for u in (ann, lead, other)] == [1, 1, 0]
    mark_read(engine, ann, [alert_id])
    mark_read(engine, ann, [alert_id])  # twice is harmless
    assert [unread_count(engine, u) for u in (ann, lead)] == [0, 1]
    assert alert_list(engine, ann)["read"].tolist() == [True] and alert_list(engine, other).empty
