"""Deterministic, realistic bilingual demo feedback with planted truths the analyses must recover.

Planted truths (tests in ``tests/demo/test_demo.py`` check each one; ``PLANTED`` states them in code):

1. **Key drivers.** NPS is driven by the five attribute ratings with weights
   ``DRIVER_WEIGHTS`` = staff .35, speed .25, reliability .20, value .15, digital .05, so a
   key-driver analysis ranks staff > speed > reliability > value > digital.
2. **Peak-end.** Every journey (3-6 touchpoints of one customer, in stage order) ends with a survey
   whose overall satisfaction (1-10) follows ``0.8 * peak-end index + 0.2 * mean`` of the journey's
   touchpoint CSAT scores (peak = the score furthest from neutral 3, ties to the later one; end = the
   last score): the peak-end index predicts the overall rating better than the plain mean.
3. **Spend rises with loyalty.** Mean spend: promoters > passives > detractors (x1.6, x1.1, x0.75),
   VIPs spend twice as much.
4. **Seasonality.** Experience dips in the peak months July-August (-0.45) and around the Spring
   Festival in February (-0.3): NPS in those months is lower than in the rest of the year.
5. **Pain points.** Touchpoints with a negative ``quality`` in the catalog (e.g. hotel check-in) have
   a lower CSAT than the others.
6. **Comments fit the scores.** A negative response's comment names a problem of its touchpoint; a
   positive one praises it. 75% of customers write Chinese, 25% English.

Blanks follow the channel: social posts (Weibo, WeChat official account) carry no scores, only text;
review sites give a star rating (CSAT) but rarely NPS; the call centre asks effort (CES).
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, select, update

from cem_core import audit
from cem_core.act.demo import seed_demo_items
from cem_core.analyze.chunk_rollup import ROW_FIELDS, BatchRollup
from cem_core.analyze.journey_rollup import PIECE_KEYS, insert_pieces, piece_figures
from cem_core.db import write_transaction
from cem_core.db.bulk import (
    BULK_MIN_ROWS,
    bulk_worth_it,
    deferred_indexes,
    insert_columns,
    next_id,
    sync_sequence,
)
from cem_core.db.models import Customer, ImportBatch, Rating, Response, journey_rollup
from cem_core.demo.catalog import INDUSTRIES, REGIONS, SEGMENTS, Industry
from cem_core.demo.text_sums import DemoText
from cem_core.reference import ATTRIBUTE_CODES, CHANNELS, ensure_industry
from cem_core.text import store as text_store
from cem_core.text.settings import config_for_demo

DRIVER_WEIGHTS = np.array([0.35, 0.25, 0.20, 0.15, 0.05])
PEAK_END_WEIGHT = 0.8
SEASON_SHIFT = {7: -0.45, 8: -0.45, 2: -0.3}
SPEND_FACTOR = {"promoter": 1.6, "passive": 1.1, "detractor": 0.75}
DEFAULT_END = dt.date(2026, 10, 31)
MONTHS = 24
RATED_SHARE = 0.6
PART = 200_000  # rows generated and written at a time: bounds the loader's memory at any size
ROUTE_ALL_ROWS, ROUTE_DAYS = 1_000_000, 7
#: what an offline load defers the secondary indexes of: the rows and the text rollups (the per-day term
#: rollup has four rows per response at 200k: measured 61 s of 243 s with its indexes maintained row by row)
DEFERRED = ("responses", "ratings", "response_text", "customers", "text_term_rollup", "text_topic_rollup",
            "text_term_cell", "text_topic_cell", "journey_rollup")

PLANTED = {
    "driver_ranking": list(ATTRIBUTE_CODES),
    "driver_weights": dict(zip(ATTRIBUTE_CODES, DRIVER_WEIGHTS.tolist(), strict=True)),
    "peak_end_weight": PEAK_END_WEIGHT,
    "low_months": sorted(SEASON_SHIFT),
    "spend_order": ["promoter", "passive", "detractor"],
}

_SURVEY = ("sms_survey", "wechat_mini", "app")
_SOCIAL = ("weibo", "wechat_oa")

_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
_GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军",
          "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平"]
_EN_FIRST = ["Emma", "Liam", "Olivia", "Noah", "Ava", "James", "Mia", "Lucas", "Amelia", "Ethan", "Grace", "Leo"]
_EN_LAST = ["Smith", "Brown", "Wilson", "Taylor", "Lee", "Martin", "Clark", "Walker", "Young", "King"]

_TEMPLATES = {
    ("zh", "neg"): ("{tp}体验很差，{problem}。", "{problem}，太失望了。", "{problem}，希望{tp}尽快改进！"),
    ("zh", "neu"): ("{tp}总体还行，就是{problem}。", "一般般，{problem}。", "{praise}，其他中规中矩。"),
    ("zh", "pos"): ("{praise}，{tp}非常满意！", "{praise}，下次还会再来。", "给{tp}点赞：{praise}。"),
    ("en", "neg"): ("Poor {tp}: {problem}.", "{problem}. Very disappointing.", "{problem}, please fix the {tp}."),
    ("en", "neu"): ("The {tp} was okay, but {problem_lc}.", "Average. {problem}.", "{praise}; the rest was fine."),
    ("en", "pos"): ("{praise}. Loved the {tp}!", "{praise}. Will come back.", "Great {tp}: {praise_lc}."),
}


@dataclass(frozen=True)
class DemoResult:
    batch_id: int
    responses: int
    customers: int
    ratings: int
    seconds: float


def _month_shift(months: np.ndarray) -> np.ndarray:
    shift = np.zeros(len(months))
    for m, s in SEASON_SHIFT.items():
        shift[months == m] = s
    return shift


Columns = dict[str, np.ndarray]


def generate(rows: int, industry: str = "hotel", seed: int = 7, end: dt.date = DEFAULT_END,
             part: int = 0) -> dict[str, pd.DataFrame]:
    """Build the demo data in memory: frames ``customers``, ``responses`` and ``ratings``.

    Ids are local (0-based positions); ``load_demo`` offsets them. Same arguments, same data. ``part`` > 0:
    another independent slice of the same demo (its own random stream and keys), so a big load is made
    ``PART`` rows at a time in bounded memory.
    """
    return {name: pd.DataFrame(cols) for name, cols in generate_columns(rows, industry, seed, end, part).items()}


def generate_columns(rows: int, industry: str = "hotel", seed: int = 7, end: dt.date = DEFAULT_END,
                     part: int = 0) -> dict[str, Columns]:
    """``generate`` as numpy columns: what ``load_demo`` writes, with no DataFrame in between (pandas turns
    every text column into Arrow strings and back: a third of the time). Every per-row step is a numpy
    operation (10M rows, issue 17)."""
    ind: Industry = INDUSTRIES[industry]
    rng = np.random.default_rng(seed if not part else [seed, part])
    tag = f"{industry}-{seed}" + (f"p{part}" if part else "")
    n_stages = len(ind.stages)

    # Journeys: 3-6 touchpoints (never more than the industry has stages) until `rows` are covered.
    lengths = rng.integers(3, min(6, n_stages) + 1, size=rows // 3 + 2)
    n_journeys = int(np.searchsorted(np.cumsum(lengths), rows)) + 1
    lengths = lengths[:n_journeys]
    lengths[-1] -= int(lengths.sum() - rows)
    n_customers = max(1, int(n_journeys / 1.5))
    journey_customer = np.sort(rng.integers(0, n_customers, size=n_journeys))

    # Customers: segment, region, language, disposition.
    segment = rng.choice(len(SEGMENTS), size=n_customers, p=[0.4, 0.45, 0.15])
    region = rng.choice(len(REGIONS), size=n_customers, p=[0.3, 0.2, 0.2, 0.12, 0.1, 0.08])
    is_en = rng.random(n_customers) < 0.25
    disposition = rng.normal(0.0, 0.45, n_customers) + np.where(segment == 2, 0.25, 0.0)

    # Journey start dates: 24 months, more traffic in summer and October.
    start = end - dt.timedelta(days=MONTHS * 30 + 20)
    span = (end - start).days - 10
    day_weight = np.ones(span)
    day_dates = pd.date_range(start, periods=span, freq="D")
    day_weight[day_dates.month.isin([7, 8, 10])] = 1.6
    day_weight[day_dates.month == 2] = 1.3
    j_start = rng.choice(span, size=n_journeys, p=day_weight / day_weight.sum())
    j_product = rng.integers(0, len(ind.products), size=n_journeys)

    # Expand journeys to rows: stage = sorted random subset of the stages.
    j_of_row = np.repeat(np.arange(n_journeys), lengths)
    step = np.arange(rows) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    keys = rng.random((n_journeys, n_stages))
    order = np.argsort(keys, axis=1)
    stage_idx = np.empty(rows, dtype=np.int64)
    for j_len in np.unique(lengths):
        sel = np.flatnonzero(lengths == j_len)
        chosen = np.sort(order[sel, :j_len], axis=1)
        rows_sel = (np.repeat(np.cumsum(lengths)[sel] - j_len, j_len) + np.tile(np.arange(j_len), len(sel)))
        stage_idx[rows_sel] = chosen.ravel()
    is_last = step == lengths[j_of_row] - 1

    # Touchpoint and channel per row; the last step of a journey is an end-of-journey survey (or callback).
    tp_list = [(s_i, tp) for s_i, s in enumerate(ind.stages) for tp in s.touchpoints]
    tp_of_stage = [[i for i, (s_i, _) in enumerate(tp_list) if s_i == k] for k in range(n_stages)]
    # a stage's touchpoints are consecutive in tp_list: its first one + a random offset below their count
    tp_first, tp_n = (np.array([f(ids) for ids in tp_of_stage]) for f in (lambda x: x[0], len))
    tp_idx = tp_first[stage_idx] + (rng.random(rows) * tp_n[stage_idx]).astype(np.int64)
    channel_codes = [c[0] for c in CHANNELS]
    stage_channels = [[channel_codes.index(c) for c in s.channels] for s in ind.stages]
    width = max(len(c) for c in stage_channels)
    ch_table = np.array([c + c[:1] * (width - len(c)) for c in stage_channels])
    ch_n = np.array([len(c) for c in stage_channels])
    ch_idx = ch_table[stage_idx, (rng.random(rows) * ch_n[stage_idx]).astype(np.int64)]
    survey_idx = np.array([channel_codes.index(c) for c in (*_SURVEY, "call_center")])  # incl. callback surveys
    ch_idx[is_last] = survey_idx[rng.integers(0, len(survey_idx), int(is_last.sum()))]
    ch_code = np.array(channel_codes)[ch_idx]

    days = np.minimum(j_start[j_of_row] + step * rng.integers(1, 5, rows), (end - start).days)
    occurred = np.datetime64(start) + days.astype("timedelta64[D]")
    occurred_at = occurred.astype("datetime64[s]") + rng.integers(8 * 3600, 22 * 3600, rows).astype("timedelta64[s]")
    months = pd.DatetimeIndex(occurred).month.to_numpy()

    # Latent experience of each touchpoint: quality + customer + season + noise + rare intense moments.
    quality = np.array([tp.quality for _, tp in tp_list])[tp_idx]
    cust = journey_customer[j_of_row]
    e = quality + disposition[cust] + _month_shift(months) + rng.normal(0, 0.9, rows)
    intense = rng.random(rows) < 0.08
    e[intense] += np.where(rng.random(int(intense.sum())) < 0.7, -2.2, 1.8)

    csat = np.clip(np.rint(3.95 + 0.95 * e), 1, 5)
    attrs = np.clip(np.rint(3.6 + 0.6 * e[:, None] + rng.normal(0, 0.85, (rows, 5))), 1, 5)
    drive = (attrs - 3.6) @ DRIVER_WEIGHTS / DRIVER_WEIGHTS.sum()
    nps = np.clip(np.rint(8.3 + 2.4 * drive + rng.normal(0, 1.1, rows)), 0, 10)

    # Peak-end overall satisfaction on the last step of each journey (from the stored CSAT scores).
    social = np.isin(ch_code, _SOCIAL)
    csat_stored = np.where(social, np.nan, csat)
    frame = pd.DataFrame({"j": j_of_row, "step": step, "csat": csat_stored})
    frame["ext"] = (frame["csat"] - 3).abs() + frame["step"] * 1e-3  # ties go to the later step
    valid = frame.dropna(subset=["csat"])
    peak = valid.loc[valid.groupby("j")["ext"].idxmax()].set_index("j")["csat"]
    mean = valid.groupby("j")["csat"].mean()
    end_score = valid.loc[valid.groupby("j")["step"].idxmax()].set_index("j")["csat"]
    pe_index = (peak + end_score) / 2
    latent_overall = 2 * (PEAK_END_WEIGHT * pe_index + (1 - PEAK_END_WEIGHT) * mean)
    overall_j = np.clip(np.rint(latent_overall.to_numpy() + rng.normal(0, 0.6, len(latent_overall))), 1, 10)
    overall = np.full(rows, np.nan)
    overall_by_j = pd.Series(overall_j, index=latent_overall.index)
    overall[is_last] = overall_by_j.reindex(j_of_row[is_last]).to_numpy()

    # Blanks by channel.
    review = ch_code == "review_site"
    call = ch_code == "call_center"
    nps_stored = np.where(social | (review & (rng.random(rows) < 0.85)) | (rng.random(rows) < 0.04), np.nan, nps)
    nps_stored[is_last] = nps[is_last]
    ces = np.clip(np.rint(5.0 + 1.1 * e + rng.normal(0, 0.8, rows)), 1, 7)
    ces_stored = np.where(call | (np.isin(ch_code, _SURVEY) & (rng.random(rows) < 0.5)), ces, np.nan)

    # Spend rises with loyalty.
    factor = np.select([nps >= 9, nps <= 6], [SPEND_FACTOR["promoter"], SPEND_FACTOR["detractor"]],
                       SPEND_FACTOR["passive"]) * np.where(segment[cust] == 2, 2.0, 1.0)
    spend = np.round(rng.lognormal(np.log(600), 0.5, rows) * factor, 2)
    spend = np.where(social, np.nan, spend)

    lang = np.where(is_en[cust], "en", "zh")
    tone = np.where((csat <= 2) | (nps <= 5), "neg", np.where((csat >= 4) & (nps >= 9), "pos", "neu"))
    has_comment = rng.random(rows) < np.select([social, review, call], [1.0, 0.95, 0.9], 0.45)
    comments = _comments(rng, tp_list, tp_idx, lang, tone, has_comment)

    phones = np.char.add("13", np.char.zfill(rng.integers(0, 10**9, n_customers).astype(str), 9))
    a, b = rng.integers(0, 1000, n_customers), rng.integers(0, 1000, n_customers)
    names = np.where(is_en, _pick(_EN_FIRST, a) + " " + _pick(_EN_LAST, b), _pick(_SURNAMES, a) + _pick(_GIVEN, b))
    has_email = rng.random(n_customers) < 0.5
    numbers = np.char.zfill(np.arange(n_customers).astype(str), 7).astype(object)
    customers = {
        "customer_key": f"DEMO-{tag}-" + numbers,
        "name": names,
        "phone": phones,
        "email": np.where(has_email, "user" + numbers + "@example.com", None),
        "segment": np.array([s[0] for s in SEGMENTS])[segment],
        "region": np.array([r[0] for r in REGIONS])[region],
    }
    responses = {
        "row_key": f"demo-{tag}-" + np.arange(rows).astype(str).astype(object),
        "customer": cust,
        "channel_code": ch_code,
        "stage_code": np.array([s.code for s in ind.stages])[stage_idx],
        "touchpoint_code": np.array([f"{ind.stages[s].code}/{tp.code}" for s, tp in tp_list], dtype=object)[tp_idx],
        "occurred_at": occurred_at,
        "journey_key": f"demo-{tag}-j" + j_of_row.astype(str).astype(object),
        "journey_step": step + 1,
        "nps": nps_stored,
        "csat": csat_stored,
        "ces": ces_stored,
        "overall_sat": overall,
        "spend": spend,
        "region": customers["region"][cust],
        "product": np.array([p[0] for p in ind.products])[j_product[j_of_row]],
        "segment": customers["segment"][cust],
        "comment": comments,
        "language": np.where(has_comment, lang, None),
    }
    rated = np.flatnonzero((rng.random(rows) < RATED_SHARE) & ~social)
    ratings = {
        "response": np.repeat(rated, 5),
        "attribute_code": np.tile(np.array(ATTRIBUTE_CODES), len(rated)),
        "score": attrs[rated].ravel().astype(int),
    }
    return {"customers": customers, "responses": responses, "ratings": ratings}


def _pick(words: list[str], draws: np.ndarray) -> np.ndarray:
    return np.array(words, dtype=object)[draws % len(words)]


_LANGS, _TONES = ("zh", "en"), ("neg", "neu", "pos")


def _comment_table(tp_list: list) -> np.ndarray:
    """Every comment the templates can make: [touchpoint, language, tone, template, praise, problem]."""
    table = np.empty((len(tp_list), 2, 3, 3, 2, 2), dtype=object)
    for (t, (_, tp)), (li, lg), (oi, tone), ti, pi, qi in itertools.product(
            enumerate(tp_list), enumerate(_LANGS), enumerate(_TONES), range(3), range(2), range(2)):
        praise = (tp.praise_zh if lg == "zh" else tp.praise_en)[pi]
        problem = (tp.problem_zh if lg == "zh" else tp.problem_en)[qi]
        table[t, li, oi, ti, pi, qi] = _TEMPLATES[(lg, tone)][ti].format(
            tp=tp.zh if lg == "zh" else tp.en.lower(), praise=praise, problem=problem,
            praise_lc=praise[0].lower() + praise[1:], problem_lc=problem[0].lower() + problem[1:])
    return table


def _comments(rng: np.random.Generator, tp_list: list, tp_idx: np.ndarray, lang: np.ndarray, tone: np.ndarray,
              has_comment: np.ndarray) -> np.ndarray:
    """Each row's comment (None without one), looked up in ``_comment_table``: the demo's comments repeat."""
    t_pick = rng.integers(0, 3, len(tp_idx))
    p_pick = rng.integers(0, 2, len(tp_idx))
    q_pick = rng.integers(0, 2, len(tp_idx))
    tone_i = np.select([tone == "neg", tone == "neu"], [0, 1], 2)
    text = _comment_table(tp_list)[tp_idx, (lang == "en").astype(np.int64), tone_i, t_pick, p_pick, q_pick]
    return np.where(has_comment, text, None)


def _ids(codes: np.ndarray, ids: dict[str, int]) -> np.ndarray:
    """Codes -> database ids, one dictionary look-up per distinct code."""
    inverse, distinct = pd.factorize(codes)  # hashing, not sorting 200k strings (0.8 s a part with np.unique)
    return np.array([ids[str(c)] for c in distinct.tolist()], dtype=np.int64)[inverse]


def _small(values: np.ndarray) -> np.ndarray:
    """Scores as floats with NaN -> Python ints / None (what a nullable SMALLINT column takes)."""
    table = np.array([None, *range(int(np.nanmax(values, initial=0)) + 1)], dtype=object)
    return table[np.where(np.isnan(values), 0, values + 1).astype(np.int64)]


@dataclass
class _Load:
    """One demo batch being written, ``PART`` rows at a time, in one transaction."""

    conn: Connection
    batch_id: int
    ids: dict[str, dict[str, int]]
    sums: BatchRollup  # the rollups, summed from each part in memory (``analyze.chunk_rollup``)
    text: DemoText | None  # comments stored and counted per distinct analysis (``demo.text_sums``)
    pool: ThreadPoolExecutor  # sums a part while this thread COPYs it
    customer_base: int = 0
    response_base: int = 0

    def write(self, data: dict[str, Columns]) -> None:
        """COPY one part and sum its rollups. The sums (rollups, journey pieces) touch no database, so they run in
        ``pool`` while this thread waits for the backend to take the COPY: done one after the other, the loader
        and the backend each sat idle while the other worked (1M rows: 14.6 s loader CPU + 7.7 s backend CPU
        in 21.6 s of writing, issue 17)."""
        conn, batch_id, ids = self.conn, self.batch_id, self.ids
        cust, resp, rat = data["customers"], data["responses"], data["ratings"]
        n_cust, n_resp = len(cust["customer_key"]), len(resp["row_key"])
        at = resp["occurred_at"].astype("datetime64[s]")
        rows = {"id": np.arange(n_resp) + self.response_base, "batch_id": np.full(n_resp, batch_id),
                "row_key": resp["row_key"], "customer_id": resp["customer"] + self.customer_base,
                "channel_id": _ids(resp["channel_code"], ids["channel"]),
                "stage_id": _ids(resp["stage_code"], ids["stage"]),
                "touchpoint_id": _ids(resp["touchpoint_code"], ids["touchpoint"]),
                "occurred_at": at, "occurred_date": at.astype("datetime64[D]"),
                "journey_key": resp["journey_key"], "journey_step": resp["journey_step"],
                **{c: _small(resp[c]) for c in ("nps", "csat", "ces", "overall_sat")},
                **{c: resp[c] for c in ("spend", "region", "product", "segment", "comment", "language")}}
        ratings = {"response_id": rat["response"] + self.response_base,
                   "attribute_id": _ids(rat["attribute_code"], ids["attribute"]), "score": rat["score"]}
        scores = {c: resp[c] for c in ("nps", "csat", "ces", "overall_sat")}  # floats, NaN for blank
        self.sums.check_attributes()  # the one query of the sums, before the COPY starts
        summed = self.pool.submit(self._sum, rows, scores, ratings)
        try:
            insert_columns(conn, Customer.__table__, {
                "id": np.arange(n_cust) + self.customer_base, **cust, "batch_id": np.full(n_cust, batch_id)})
            insert_columns(conn, Response.__table__, rows)
            insert_columns(conn, Rating.__table__, ratings)
            if self.text is not None:
                self.text.add({**rows, "nps": resp["nps"]})
        finally:
            pieces = summed.result()  # also on failure: never leave the thread summing into a dead load
        insert_pieces(conn, batch_id, pieces)
        self.customer_base += n_cust
        self.response_base += n_resp

    def _sum(self, rows: Columns, scores: Columns, ratings: Columns) -> Columns:
        """The part's rollup sums and its journey pieces (a part holds whole journeys: their keys carry the part)."""
        self.sums.sum({**{k: rows[k] for k in ROW_FIELDS}, **scores, "product": rows["product"]},
                      pd.DataFrame(ratings))
        return piece_figures({**{k: rows[k] for k in ("id", "occurred_date", "journey_step", "touchpoint_id",
                                                        *PIECE_KEYS)}, **scores})


def _parts(rows: int, industry: str, seed: int, end: dt.date) -> Iterator[tuple[int, dict[str, Columns]]]:
    """``(first row, generate_columns(...))`` per ``PART``, the next part generated in a thread while the
    caller writes this one: the writer spends most of a part waiting for the Postgres backend to take its
    COPY (the socket wait releases the GIL), so the generation runs on the second core meanwhile instead of
    taking turns with the backend (10M rows, issue 17). Two parts in memory at most."""
    starts = list(range(0, rows, PART))
    with ThreadPoolExecutor(1, thread_name_prefix="demo-part") as pool:
        def submit(part: int) -> Future:
            return pool.submit(generate_columns, min(PART, rows - starts[part]), industry, seed, end, part)

        pending = submit(0) if starts else None
        for part, lo in enumerate(starts):
            data = pending.result()
            pending = submit(part + 1) if part + 1 < len(starts) else None
            yield lo, data
            del data


@contextmanager
def _sort_memory(conn: Connection, size: str = "256MB") -> Iterator[None]:
    """On Postgres, ``work_mem`` raised for the block, in the caller's transaction: the rollups that still group
    the stored rows (curve, touchpoint cells, peak-end cells) sort 10M rows on disk with the default 4 MB
    (external merge) where a hash aggregate of their ~100k groups takes ~40 MB (measured at 1M: 2.0 -> 1.0 s
    for the touchpoint cells)."""
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.exec_driver_sql(f"SET LOCAL work_mem = '{size}'")
    yield
    conn.exec_driver_sql("SET LOCAL work_mem TO DEFAULT")


def load_demo(engine: Engine, rows: int = 20_000, industry: str = "hotel", seed: int = 7, end: dt.date = DEFAULT_END,
              progress: Callable[[float, str], None] | None = None, actor: str = "system",
              offline: bool = False) -> DemoResult:
    """Generate and store demo data as one import batch marked ``is_demo`` (one transaction, audited),
    ``PART`` rows at a time so memory stays bounded at any size. ``offline``: nobody else uses the database
    (a scale benchmark, a first setup): a load that at least doubles the tables drops their secondary
    indexes and foreign keys and rebuilds them at the end (``bulk.deferred_indexes``; on Postgres readers
    would wait for the whole load). Above ``ROUTE_ALL_ROWS`` rows only the last ``ROUTE_DAYS`` days get
    action items: the Actions page needs recent cases, not millions of closed ones. Postgres: ``ANALYZE``
    after a bulk load, so the planner knows the new row counts at once."""
    t0 = time.perf_counter()
    report = progress or (lambda _f, _m: None)
    report(0.0, "generate")
    with ThreadPoolExecutor(1, thread_name_prefix="demo-sums") as pool, write_transaction(engine) as conn:
        ids = ensure_industry(conn, INDUSTRIES[industry])
        batch_id = conn.execute(ImportBatch.__table__.insert().values(
            file_name=f"demo:{industry}:{rows}:{seed}", content_hash=f"demo-{industry}-{rows}-{seed}",
            source="demo", user_name="demo", started_at=dt.datetime.now(), status="running", is_demo=True,
        )).inserted_primary_key[0]
        stored = next_id(conn, Response.__table__) - 1
        deferred = DEFERRED if offline and bulk_worth_it(rows, stored) else ()
        alone = conn.execute(select(journey_rollup.c.id).limit(1)).first() is None  # no journey key to share
        config = config_for_demo(conn, industry) if text_store.import_config(conn) is not None else None
        load = _Load(conn, batch_id, ids, BatchRollup(conn, batch_id, pieces_stored=True, alone=alone),
                     DemoText(conn, batch_id, text_store.Analyses(config)) if config else None, pool,
                     next_id(conn, Customer.__table__), stored + 1)
        customers = ratings = 0
        # another batch's pieces: mark_shared looks each new piece's key up in the key index
        # its own rows only: foreign keys come back NOT VALID on Postgres (enforced from now on, not re-read)
        with deferred_indexes(conn, deferred, keep=() if alone else ("ix_journey_rollup_key",), trusted=True):
            for lo, data in _parts(rows, industry, seed, end):
                customers += len(data["customers"]["customer_key"])
                ratings += len(data["ratings"]["score"])
                load.write(data)
                report(0.85 * min(lo + PART, rows) / rows, "write")
            for table in (Customer.__table__, Response.__table__):
                sync_sequence(conn, table)
            report(0.85, "rollups")
            with _sort_memory(conn):
                load.sums.finish()
            report(0.88, "text")
            if load.text is not None:
                load.text.finish()
            report(0.9, "indexes")
        # after the index rebuild: each resolved item's ``recovered`` (a row trigger) looks up the customer's
        # later answers by ix_responses_customer_recovery; without it, a scan of the rows per item (quadratic)
        report(0.95, "actions")
        since = end - dt.timedelta(days=ROUTE_DAYS) if rows > ROUTE_ALL_ROWS else None
        items = seed_demo_items(conn, batch_id, seed, end, since)
        audit.record(conn, actor, "demo_load", target=f"batch:{batch_id}", rows=rows,
                     detail={"industry": industry, "seed": seed, "action_items": items})
        elapsed = time.perf_counter() - t0
        conn.execute(update(ImportBatch.__table__).where(ImportBatch.__table__.c.id == batch_id).values(
            status="done", rows_imported=rows, finished_at=dt.datetime.now(), duration_s=elapsed))
    if engine.dialect.name == "postgresql" and rows >= BULK_MIN_ROWS:
        report(0.98, "analyze")
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    report(1.0, "done")
    return DemoResult(int(batch_id), rows, customers, ratings, time.perf_counter() - t0)


def demo_batches(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(ImportBatch.id).where(ImportBatch.is_demo.is_(True))).scalars())


def remove_demo(engine: Engine, actor: str = "system") -> int:
    """Delete every demo batch and, by cascade, its customers, responses and ratings; returns rows removed."""
    with write_transaction(engine) as conn:
        batches = select(ImportBatch.id).where(ImportBatch.is_demo.is_(True))
        removed = conn.execute(Response.__table__.delete().where(Response.batch_id.in_(batches))).rowcount
        conn.execute(Customer.__table__.delete().where(Customer.batch_id.in_(batches)))
        conn.execute(ImportBatch.__table__.delete().where(ImportBatch.is_demo.is_(True)))
        audit.record(conn, actor, "demo_remove", rows=int(removed or 0))
    return int(removed or 0)
