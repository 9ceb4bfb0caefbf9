"""NPS by region, product, segment or channel (any dimension) with 95% CIs, sorted, with a minimum n."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from cem_core.analyze.dims import attach_names
from cem_core.analyze.matrix import MIN_N, nps_by
from cem_core.analyze.queries import Filters, on_one_connection


@on_one_connection
def segments(engine: Engine, f: Filters, dim: str = "region", lang: str = "zh", min_n: int = MIN_N) -> pd.DataFrame:
    """key, name, n, nps, low, high, low_n; best NPS first, segments under ``min_n`` last (greyed)."""
    frame = nps_by(engine, f, (dim,)).rename(columns={"k0": "key"})
    frame = attach_names(frame[frame["n"] > 0], engine, dim, lang)
    frame["low_n"] = frame["n"] < min_n
    return frame.sort_values(["low_n", "nps"], ascending=[True, False]).reset_index(drop=True)
