"""The rollups of a batch summed from the rows its writer holds in memory, chunk by chunk.

``rollup.add_batch`` summarises a batch with one ``INSERT ... SELECT ... GROUP BY`` per rollup over the
stored rows: at 1M rows on SQLite a 300k-row batch cost 18 (day rollup), 42 (month cells), 50 (rating
cells) and 46 (key-driver moments) reference scans, mostly SQLite sorting the batch by each rollup's keys
(issue 17). A writer already has every row it inserts in memory, so ``BatchRollup`` groups each chunk in
pandas right after it is written (a few thousand small groups), adds the groups up over the chunks, and
inserts them once when the batch is done. The database reads nothing back.

The sums are the same as ``rollup.add_batch``'s, cell for cell (``tests/analyze/test_rollups.py`` checks
both against the rows). Key-driver moments depend on the attribute set (complete cases): if an import
brings a new attribute after the first chunk, ``finish`` computes the moments from the stored rows as
before (``moments.add_batch``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, literal, select

from cem_core.analyze import journey_cells, moments, touchpoint_cells
from cem_core.analyze.metrics import CES_AGREE_MIN, CSAT_TOP2_MIN, DETRACTOR_MAX, MEASURE_COLUMNS, PROMOTER_MIN
from cem_core.db.bulk import bulk_insert
from cem_core.db.models import (
    CELL_KEYS,
    JOURNEY_MEASURES,
    SCORE_VALUES,
    Rating,
    Response,
    ResponseRollup,
    analysis_rollup,
    curve_rollup,
    driver_rollup,
    rating_rollup,
    rollup_coverage,
    touchpoint_cell,
)

#: What a writer hands over per chunk (lists or arrays of equal length; None or NaN for blanks).
ROW_FIELDS = ("id", "occurred_date", "channel_id", "stage_id", "touchpoint_id", "region", "segment", "nps", "csat",
              "ces", "overall_sat", "spend")
DAY_KEYS = ["occurred_date", "channel_id", "stage_id", "touchpoint_id"]
_CELL_KEYS = list(CELL_KEYS)
#: Groups of one slice at a time: the per-row measure matrices stay ~20 MB whatever the chunk size.
SLICE = 50_000
#: Chunks' groups held before they are added up into one frame: each 25k-row chunk's groups take ~8 MB
#: (mostly the day rollup's and the cells' index), the batch's sums ~20 MB at most (its distinct groups).
COMBINE_EVERY = 2


def frame_of(rows: Mapping[str, Sequence[object]]) -> pd.DataFrame:
    """The chunk as a frame: dates as ISO text, months as the first of the month, scores as floats (NaN blank)."""
    dates = rows["occurred_date"]
    if isinstance(dates, np.ndarray) and dates.dtype.kind == "M":  # as datetime64: no Timestamp per row
        codes, days = pd.factorize(dates.astype("datetime64[D]"))
        iso = np.datetime_as_string(np.asarray(days, dtype="datetime64[D]"), unit="D").astype(object)
    else:
        codes, days = pd.factorize(pd.Series(dates, dtype=object))  # a few hundred distinct days
        iso = np.array([str(d)[:10] for d in days], dtype=object)
    frame = pd.DataFrame({"occurred_date": pd.Series(iso[codes], dtype=object),
                          "month": pd.Series(np.array([d[:7] + "-01" for d in iso], dtype=object)[codes],
                                             dtype=object)})
    for k in ("channel_id", "stage_id", "touchpoint_id"):
        frame[k] = pd.array(rows[k], dtype="Int64")
    for k in ("region", "segment", "product"):
        if k in rows:  # product: only a writer that sums the journey rollups (``BatchRollup.pieces_stored``)
            frame[k] = pd.Series(rows[k], dtype=object)
    for k in ("nps", "csat", "ces", "overall_sat", "spend"):
        frame[k] = np.asarray(rows[k], dtype=float)
    frame.index = pd.Index(np.asarray(rows["id"], dtype=np.int64))
    return frame


class _Groups:
    """Rows numbered by their group (a combination of key values), and sums per group by ``np.bincount``:
    a pandas group-by over ~60 measure columns of one-hot arrays cost more than the chunk's insert."""

    def __init__(self, keys: pd.DataFrame) -> None:
        code = np.zeros(len(keys), dtype=np.int64)
        for name in keys.columns:
            codes, uniques = pd.factorize(keys[name], use_na_sentinel=False)
            code = code * (len(uniques) + 1) + codes
        self.inverse, uniques = pd.factorize(code)
        self.size = len(uniques)
        first = np.empty(self.size, dtype=np.int64)
        first[self.inverse[::-1]] = np.arange(len(keys))[::-1]
        self.index = pd.MultiIndex.from_frame(keys.iloc[first].reset_index(drop=True))

    def sum(self, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(self.inverse, weights=weights, minlength=self.size)

    def count(self, cond: np.ndarray) -> np.ndarray:
        return np.bincount(self.inverse[cond], minlength=self.size)

    def histogram(self, values: np.ndarray, scores: range, weights: np.ndarray | None = None) -> np.ndarray:
        """(groups, len(scores)): rows (or ``weights``) per group and score; other values and blanks left out."""
        ok = (values >= scores.start) & (values < scores.stop)
        at = self.inverse[ok] * len(scores) + (values[ok] - scores.start).astype(np.int64)
        out = np.bincount(at, weights=None if weights is None else weights[ok], minlength=self.size * len(scores))
        return out.reshape(self.size, len(scores))

    def frame(self, columns: dict[str, np.ndarray]) -> pd.DataFrame:
        return pd.DataFrame(columns, index=self.index)


def _measures(g: _Groups, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """``metrics.sql_measures`` per group of ``g``."""
    nps, csat, ces, spend = (frame[k].to_numpy() for k in ("nps", "csat", "ces", "spend"))
    ces0, spend0 = np.nan_to_num(ces), np.nan_to_num(spend)
    values = {"responses": g.sum().astype(np.int64), "nps_n": g.count(~np.isnan(nps)),
              "promoters": g.count(nps >= PROMOTER_MIN), "detractors": g.count(nps <= DETRACTOR_MAX),
              "csat_n": g.count(~np.isnan(csat)), "csat_top2": g.count(csat >= CSAT_TOP2_MIN),
              "ces_n": g.count(~np.isnan(ces)), "ces_sum": g.sum(ces0).astype(np.int64),
              "ces_agree": g.count(ces >= CES_AGREE_MIN), "spend": g.sum(spend0),
              "detractor_spend": g.sum(np.where(nps <= DETRACTOR_MAX, spend0, 0.0)),
              "ces_sq": g.sum(ces0 * ces0).astype(np.int64)}
    return {k: values[k] for k in MEASURE_COLUMNS}


def day_part(frame: pd.DataFrame) -> pd.DataFrame:
    """``response_rollup``'s measures (``metrics.sql_measures``) per day, channel, stage and touchpoint."""
    g = _Groups(frame[DAY_KEYS])
    return g.frame(_measures(g, frame))


def _score_sums(g: _Groups, frame: pd.DataFrame, measures: Sequence[str]) -> dict[str, np.ndarray]:
    """n (optional), sum and sum of squares of each score per group, as the journey rollups' SQL has them."""
    out = {}
    for m in measures:
        score = frame[m].to_numpy()
        s0 = np.nan_to_num(score)
        out.update({f"{m}_n": g.count(~np.isnan(score)), f"{m}_sum": g.sum(s0).astype(np.int64),
                    f"{m}_sq": g.sum(s0 * s0).astype(np.int64)})
    return out


def curve_part(frame: pd.DataFrame) -> pd.DataFrame:
    """``curve_rollup`` (``journey_rollup.add_curve_batch``) per day, channel, stage and touchpoint."""
    g = _Groups(frame[DAY_KEYS])
    return g.frame({"responses": g.sum().astype(np.int64), **_score_sums(g, frame, JOURNEY_MEASURES)})


def touch_part(frame: pd.DataFrame) -> pd.DataFrame:
    """``touchpoint_cell`` (``touchpoint_cells.add_batch``) per month, channel, stage, touchpoint, region,
    product and segment: the rows need ``product``."""
    g = _Groups(frame[["month", *touchpoint_cells.KEYS]])
    sums = {**_measures(g, frame), **_score_sums(g, frame, ("csat", "nps"))}
    return g.frame({k: sums[k] for k in touchpoint_cells.COLUMNS})


def cell_part(frame: pd.DataFrame) -> pd.DataFrame:
    """``analysis_rollup``'s columns (``cells.cell_measures``) per month cell."""
    g = _Groups(frame[_CELL_KEYS])
    nps, spend = frame["nps"].to_numpy(), frame["spend"].to_numpy()
    has_spend, spend0 = ~np.isnan(spend), np.nan_to_num(spend)
    values = {"responses": g.sum().astype(np.int64), "nps_n": g.count(~np.isnan(nps)),
              "promoters": g.count(nps >= PROMOTER_MIN), "detractors": g.count(nps <= DETRACTOR_MAX)}
    for measure, scores in SCORE_VALUES.items():
        hist = g.histogram(frame[measure].to_numpy(), scores)
        values.update({f"{measure}_{k}": hist[:, i] for i, k in enumerate(scores)})
    nps_scores = SCORE_VALUES["nps"]
    hist = g.histogram(np.where(has_spend, nps, np.nan), nps_scores)
    values.update({f"nps_spend_n_{k}": hist[:, i] for i, k in enumerate(nps_scores)})
    values["spend"] = g.sum(spend0)
    hist = g.histogram(nps, nps_scores, spend0)
    values.update({f"nps_spend_{k}": hist[:, i] for i, k in enumerate(nps_scores)})
    return g.frame(values)


def _positions(frame: pd.DataFrame, ratings: pd.DataFrame) -> np.ndarray:
    pos = frame.index.get_indexer(ratings["response_id"].to_numpy())
    if (pos < 0).any():
        raise ValueError("ratings of responses outside the chunk")
    return pos


def rating_part(frame: pd.DataFrame, ratings: pd.DataFrame) -> pd.DataFrame:
    """``rating_rollup``'s counts per month cell and attribute."""
    if ratings.empty:
        return pd.DataFrame()
    keys = frame[_CELL_KEYS].iloc[_positions(frame, ratings)].reset_index(drop=True)
    keys["attribute_id"] = ratings["attribute_id"].to_numpy(dtype=np.int64)
    g = _Groups(keys)
    hist = g.histogram(ratings["score"].to_numpy(dtype=float), range(1, 6))
    return g.frame({f"r{k}": hist[:, k - 1] for k in range(1, 6)})


def moment_part(frame: pd.DataFrame, ratings: pd.DataFrame, ids: tuple[int, ...]) -> pd.DataFrame:
    """``driver_rollup``'s moments (``moments._batch_moments``) per month cell and outcome, over the
    responses that rated every attribute of ``ids`` and have the outcome."""
    p = len(ids)
    x = np.full((len(frame), p), np.nan)
    if not ratings.empty:
        slot = pd.Series(range(p), index=list(ids))
        cols = slot.reindex(ratings["attribute_id"].to_numpy()).to_numpy()
        known = ~np.isnan(cols)
        x[_positions(frame, ratings)[known], cols[known].astype(int)] = ratings["score"].to_numpy(dtype=float)[known]
    rated = ~np.isnan(x).any(axis=1)
    parts = []
    for outcome, code in moments.OUTCOME_CODES.items():
        y = frame[outcome].to_numpy()
        keep = rated & ~np.isnan(y)
        if not keep.any():
            continue
        xs, yk = x[keep], y[keep]
        keys = frame[_CELL_KEYS][keep].reset_index(drop=True)
        keys["outcome"] = code
        g = _Groups(keys)
        values = {"n": g.sum(), "sy": g.sum(yk), "syy": g.sum(yk * yk)}
        for i in range(p):
            values[f"s{i}"] = g.sum(xs[:, i])
            values[f"t{i}"] = g.sum((xs[:, i] >= 4).astype(float))
            values[f"cy{i}"] = g.sum(xs[:, i] * yk)
            for k in range(i, p):
                values[f"c{i}_{k}"] = g.sum(xs[:, i] * xs[:, k])
        parts.append(g.frame(values))
    return pd.concat(parts) if parts else pd.DataFrame()


def _combined(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The parts' groups added up (one frame, grouped by the same keys)."""
    parts = [part for part in parts if not part.empty]
    if len(parts) <= 1:
        return parts[0] if parts else pd.DataFrame()
    total = pd.concat(parts)
    return total.groupby(level=list(range(total.index.nlevels)), dropna=False, sort=False).sum()


def insert_sums(conn: Connection, table, parts: list[pd.DataFrame], batch_id: int) -> None:
    """Add up ``parts`` (grouped by ``table``'s keys) and insert them as ``batch_id``'s rows of ``table``."""
    total = _combined(parts)
    if total.empty:
        return
    total = total.reset_index()
    # Columns the sums do not fill (the moments of unused attribute slots) get their defaults: bulk_insert
    # applies none.
    defaults = {col.name: col.default.arg for col in table.columns
                if col.name not in total.columns and col.default is not None and col.name != "id"}
    if defaults:
        total = pd.concat([total, pd.DataFrame(defaults, index=total.index)], axis=1)
    columns = list(total.columns)
    values = [total[c].astype(object).where(total[c].notna(), None).tolist() for c in columns]
    bulk_insert(conn, table, ["batch_id", *columns], zip([batch_id] * len(total), *values, strict=True))


class BatchRollup:
    """Every rollup of one batch, summed from its chunks as the writer inserts them (``add``), stored by
    ``finish`` in the writer's transaction: the in-memory twin of ``rollup.add_batch``."""

    def __init__(self, conn: Connection, batch_id: int, pieces_stored: bool = False, alone: bool = False) -> None:
        """``pieces_stored``: the writer stores the journey pieces itself (``journey_rollup.insert_pieces``),
        passes ``product`` with the rows, and the curve sums and touchpoint cells are summed here; ``alone``: no
        other batch had journey pieces when it began (``journey_cells.add_batch``)."""
        self.conn, self.batch_id = conn, batch_id
        self.pieces_stored, self.alone = pieces_stored, alone
        self.rows = 0
        self.ids: tuple[int, ...] | None = None  # the attribute set the moments so far were computed over
        self.moments_current = True
        self.parts: dict[str, list[pd.DataFrame]] = {"day": [], "cells": [], "ratings": [], "moments": []}
        if pieces_stored:  # the journey rollups that add up: the emotion curve's sums and the touchpoint cells
            self.parts.update({"curve": [], "touch": []})

    def add(self, rows: Mapping[str, Sequence[object]], ratings: pd.DataFrame) -> None:
        """Sum one written chunk: ``rows`` by ``ROW_FIELDS``, ``ratings`` with response_id, attribute_id, score."""
        self.check_attributes()
        self.sum(rows, ratings)

    def check_attributes(self) -> None:
        """Before each chunk's ``sum``: whether the attribute set is still the one the moments so far used (a
        query; ``sum`` reads nothing, so a writer may run it in a thread while it COPYs the chunk)."""
        ids, key = moments.attribute_set(self.conn)
        if self.ids is None:
            self.ids = ids
        self.moments_current &= key != moments.TOO_MANY and bool(ids) and ids == self.ids

    def sum(self, rows: Mapping[str, Sequence[object]], ratings: pd.DataFrame) -> None:
        """``add`` without the attribute check: computation only, no database access."""
        frame = frame_of(rows)
        self.rows += len(frame)
        ratings = ratings.reset_index(drop=True)
        rating_ids = ratings["response_id"].to_numpy() if not ratings.empty else np.zeros(0)
        for lo in range(0, len(frame), SLICE):
            part = frame.iloc[lo:lo + SLICE]
            mine = ratings[np.isin(rating_ids, part.index.to_numpy())] if len(frame) > SLICE else ratings
            self.parts["day"].append(day_part(part))
            self.parts["cells"].append(cell_part(part))
            self.parts["ratings"].append(rating_part(part, mine))
            if self.moments_current:
                self.parts["moments"].append(moment_part(part, mine, self.ids))
            if self.pieces_stored:
                self.parts["curve"].append(curve_part(part))
                self.parts["touch"].append(touch_part(part))
        for name, parts in self.parts.items():  # bounded by the batch's groups, not by its chunks
            if len(parts) >= COMBINE_EVERY:
                self.parts[name] = [_combined(parts)]

    def finish(self) -> None:
        """Store the sums, the journey rollups (from the stored rows, but the pieces a writer stored) and the
        coverage record."""
        conn, batch_id = self.conn, self.batch_id
        insert_sums(conn, ResponseRollup.__table__, self.parts["day"], batch_id)
        insert_sums(conn, analysis_rollup, self.parts["cells"], batch_id)
        insert_sums(conn, rating_rollup, self.parts["ratings"], batch_id)
        if self.pieces_stored:
            insert_sums(conn, curve_rollup, self.parts["curve"], batch_id)
            insert_sums(conn, touchpoint_cell, self.parts["touch"], batch_id)
        journey_cells.add_batch(conn, batch_id, self.pieces_stored, self.alone)
        ids, key = moments.attribute_set(conn)
        if self.moments_current and (self.ids is None or ids == self.ids):
            insert_sums(conn, driver_rollup, self.parts["moments"], batch_id)
            moments.bring_to_set(conn, batch_id, ids, key)
        else:
            key = moments.add_batch(conn, batch_id)
        conn.execute(rollup_coverage.insert().values(batch_id=batch_id, responses=self.rows, attribute_set=key))
        self.parts = {k: [] for k in self.parts}


#: Per rollup: its key columns and the column that is zero exactly when a group holds no rows any more.
_EMPTY_WHEN = {"response_rollup": "responses", "analysis_rollup": "responses", "driver_rollup": "n"}


def _key(name: str, value: object) -> object:
    """A group key as the column's type binds it (dates as dates)."""
    return dt.date.fromisoformat(value) if name in ("occurred_date", "month") and value is not None else value


def _subtract(conn: Connection, table, part: pd.DataFrame, batch_id: int) -> None:
    """Take each group of ``part`` (grouped by ``table``'s keys) off ``batch_id``'s row of that group, and
    drop the rows left empty."""
    if part.empty:
        return
    part = part.reset_index()
    keys = [k for k in part.columns if k in (*DAY_KEYS, *_CELL_KEYS, "attribute_id", "outcome")]
    values = [c for c in part.columns if c not in keys]
    c = table.c
    for row in part.astype(object).where(part.notna(), None).to_dict("records"):
        where = [c.batch_id == batch_id, *[c[k].is_not_distinct_from(literal(_key(k, row[k]), c[k].type))
                                           for k in keys]]
        conn.execute(table.update().where(*where).values({v: c[v] - row[v] for v in values}))
    empty = c[_EMPTY_WHEN[table.name]] == 0 if table.name in _EMPTY_WHEN else \
        sum(c[f"r{k}"] for k in range(1, 6)) == 0
    conn.execute(table.delete().where(c.batch_id == batch_id, empty))


def _read(conn: Connection, stmt: Select) -> pd.DataFrame:
    result = conn.execute(stmt)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def subtract_responses(conn: Connection, response_ids: list[int]) -> list[int]:
    """Take stored responses (and their ratings) out of every additive rollup of their batches, before they
    are deleted (deletion on request): their own rows are read, not their batches. Returns the batches
    touched; their journey rollups, which keep maxima, not sums, are rebuilt by the caller
    (``rollup.rebuild_journeys``)."""
    if not response_ids:
        return []
    r, ra = Response.__table__, Rating.__table__
    frame = _read(conn, select(r.c.batch_id, *[r.c[k] for k in ROW_FIELDS]).where(r.c.id.in_(response_ids)))
    ratings = _read(conn, select(ra.c.response_id, ra.c.attribute_id, ra.c.score).where(
        ra.c.response_id.in_(response_ids)))
    sets = dict(conn.execute(select(rollup_coverage.c.batch_id, rollup_coverage.c.attribute_set)).all())
    batches = sorted(int(b) for b in frame["batch_id"].unique())
    for batch_id in batches:
        rows = frame[frame["batch_id"] == batch_id]
        part = frame_of({k: rows[k].tolist() for k in ROW_FIELDS})
        mine = ratings[ratings["response_id"].isin(rows["id"])].reset_index(drop=True)
        _subtract(conn, ResponseRollup.__table__, day_part(part), batch_id)
        _subtract(conn, analysis_rollup, cell_part(part), batch_id)
        _subtract(conn, rating_rollup, rating_part(part, mine), batch_id)
        key = sets.get(batch_id, moments.TOO_MANY)
        if key and key != moments.TOO_MANY:
            _subtract(conn, driver_rollup, moment_part(part, mine, tuple(int(a) for a in key.split(","))), batch_id)
        conn.execute(rollup_coverage.update().where(rollup_coverage.c.batch_id == batch_id).values(
            responses=rollup_coverage.c.responses - len(rows)))
    return batches
