"""Where an alert's "open view" goes: the page and the sidebar filters that show the finding."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

from cem_core.analyze.queries import date_bounds
from cem_core.db.models import JourneyStage, Touchpoint


def view_for(engine: Engine, alert: dict[str, object]) -> tuple[str, dict[str, object]]:
    """(page path, {filter session key: value}) for an alert row: the analysis page's trends filtered to
    the channel, stage or segment and the alert's period (clamped to the data); a touchpoint opens the
    journey page on its stage."""
    lo, hi = date_bounds(engine)
    start, end = alert["date_from"], alert["date_to"]
    start = dt.date.fromisoformat(str(start)[:10]) if not isinstance(start, dt.date) else start
    end = dt.date.fromisoformat(str(end)[:10]) if not isinstance(end, dt.date) else end
    prev_start = start - (end - start) - dt.timedelta(days=1)  # show the previous period too
    state: dict[str, object] = {"flt_dates": (max(prev_start, lo or prev_start), min(end, hi or end))}
    dimension, key, page = alert["dimension"], alert["dim_key"], "pages/analysis.py"
    if dimension == "channel":
        state["flt_channels"] = [key]
    elif dimension == "stage":
        state["flt_stages"] = [key]
    elif dimension == "segment":
        state["flt_segments"] = [key]
    elif dimension == "department":
        page = "pages/actions.py"
    elif dimension == "topic" or alert["measure"] == "negative":
        page = "pages/text.py"
    elif dimension == "touchpoint" and key is not None:
        with engine.connect() as conn:
            code = conn.execute(select(JourneyStage.code).join(Touchpoint, Touchpoint.stage_id == JourneyStage.id)
                                .where(Touchpoint.id == int(str(key)))).scalar()
        state["flt_stages"] = [code] if code else []
        page = "pages/journey.py"
    return page, state
