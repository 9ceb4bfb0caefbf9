"""Spikes in what customers write: the share of analysed comments that are negative, or that mention a
topic negatively, against its own previous period (same grid as the score drops, ``evaluate.periods``).

Counts come from ``cem_core.text.report`` (``sentiment_totals`` and ``topic_table``, the Text page's own
figures); the test is the two-proportion z-test of ``analyze.stats`` (a spike is a rise with p <= max_p,
both periods with at least ``min_n`` analysed comments).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from cem_core.alerts.findings import Finding, periods
from cem_core.alerts.rules import Rule
from cem_core.analyze.queries import Filters
from cem_core.analyze.stats import proportion_diff_p
from cem_core.text.report import sentiment_totals, topic_table


def _counts(engine: Engine, f: Filters) -> tuple[int, int, dict[str, int]]:
    """(analysed comments, negative comments, negative mentions per topic) of one period."""
    totals = sentiment_totals(engine, f)
    topics = topic_table(engine, f)
    per_topic = dict(zip(topics["topic"], topics["negative"], strict=True)) if not topics.empty else {}
    return sum(totals.values()), totals.get("negative", 0), {k: int(v) for k, v in per_topic.items()}


def find_spikes(engine: Engine, rule: Rule, as_of: dt.date) -> list[Finding]:
    """The rule's significant rises in the grid period holding ``as_of``."""
    prev_from, prev_to, cur_from, cur_to = periods(as_of, rule.window_days)
    n_cur, neg_cur, top_cur = _counts(engine, Filters(date_from=cur_from, date_to=min(cur_to, as_of)))
    n_prev, neg_prev, top_prev = _counts(engine, Filters(date_from=prev_from, date_to=prev_to))
    if n_cur < rule.min_n or n_prev < rule.min_n:
        return []
    pairs = ({None: (neg_cur, neg_prev)} if rule.measure == "negative"
             else {k: (v, top_prev.get(k, 0)) for k, v in top_cur.items()})
    found = []
    for key, (x_cur, x_prev) in pairs.items():
        share_cur, share_prev = 100.0 * x_cur / n_cur, 100.0 * x_prev / n_prev
        if share_cur <= share_prev:
            continue
        p = proportion_diff_p(x_cur, n_cur, x_prev, n_prev)
        if p is None or p > rule.max_p:
            continue
        found.append(Finding(rule.id, rule.measure, "topic" if key else "overall", key, cur_from, cur_to, share_cur,
                             share_prev, n_cur, n_prev, p))
    return found
