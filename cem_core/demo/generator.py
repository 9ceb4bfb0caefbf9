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
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select, update

from cem_core import audit
from cem_core.act.demo import seed_demo_items
from cem_core.analyze.chunk_rollup import BatchRollup
from cem_core.db import write_transaction
from cem_core.db.bulk import bulk_insert, next_id, sync_sequence
from cem_core.db.models import Customer, ImportBatch, Rating, Response
from cem_core.demo.catalog import INDUSTRIES, REGIONS, SEGMENTS, Industry
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
CHUNK = 50_000

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


def generate(rows: int, industry: str = "hotel", seed: int = 7, end: dt.date = DEFAULT_END) -> dict[str, pd.DataFrame]:
    """Build the demo data in memory: frames ``customers``, ``responses`` and ``ratings``.

    Ids are local (0-based positions); ``load_demo`` offsets them. Same arguments, same data.
    """
    ind: Industry = INDUSTRIES[industry]
    rng = np.random.default_rng(seed)
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
    tp_idx = np.array([tp_of_stage[s][int(r * len(tp_of_stage[s]))]
                       for s, r in zip(stage_idx, rng.random(rows), strict=True)])
    channel_codes = [c[0] for c in CHANNELS]
    stage_channels = [[channel_codes.index(c) for c in s.channels] for s in ind.stages]
    ch_idx = np.array([stage_channels[s][int(r * len(stage_channels[s]))]
                       for s, r in zip(stage_idx, rng.random(rows), strict=True)])
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
    group = np.where(nps >= 9, "promoter", np.where(nps <= 6, "detractor", "passive"))
    factor = np.vectorize(SPEND_FACTOR.get)(group) * np.where(segment[cust] == 2, 2.0, 1.0)
    spend = np.round(rng.lognormal(np.log(600), 0.5, rows) * factor, 2)
    spend = np.where(social, np.nan, spend)

    lang = np.where(is_en[cust], "en", "zh")
    tone = np.where((csat <= 2) | (nps <= 5), "neg", np.where((csat >= 4) & (nps >= 9), "pos", "neu"))
    has_comment = rng.random(rows) < np.select([social, review, call], [1.0, 0.95, 0.9], 0.45)
    comments = _comments(rng, tp_list, tp_idx, lang, tone, has_comment)

    phones = np.char.add("13", np.char.zfill(rng.integers(0, 10**9, n_customers).astype(str), 9))
    names = [(_EN_FIRST[a % len(_EN_FIRST)] + " " + _EN_LAST[b % len(_EN_LAST)]) if en
             else (_SURNAMES[a % len(_SURNAMES)] + _GIVEN[b % len(_GIVEN)])
             for en, a, b in zip(is_en, rng.integers(0, 1000, n_customers), rng.integers(0, 1000, n_customers),
                                 strict=True)]
    has_email = rng.random(n_customers) < 0.5
    customers = pd.DataFrame({
        "customer_key": [f"DEMO-{industry}-{seed}-{i:07d}" for i in range(n_customers)],
        "name": names,
        "phone": phones,
        "email": [f"user{i:07d}@example.com" if e_ else None for i, e_ in enumerate(has_email)],
        "segment": np.array([s[0] for s in SEGMENTS])[segment],
        "region": np.array([r[0] for r in REGIONS])[region],
    })
    responses = pd.DataFrame({
        "row_key": [f"demo-{industry}-{seed}-{i}" for i in range(rows)],
        "customer": cust,
        "channel_code": ch_code,
        "stage_code": np.array([s.code for s in ind.stages])[stage_idx],
        "touchpoint_code": [f"{ind.stages[s].code}/{tp_list[t][1].code}"
                            for s, t in zip(stage_idx, tp_idx, strict=True)],
        "occurred_at": occurred_at,
        "journey_key": [f"demo-{industry}-{seed}-j{j}" for j in j_of_row],
        "journey_step": step + 1,
        "nps": nps_stored,
        "csat": csat_stored,
        "ces": ces_stored,
        "overall_sat": overall,
        "spend": spend,
        "region": customers["region"].to_numpy()[cust],
        "product": np.array([p[0] for p in ind.products])[j_product[j_of_row]],
        "segment": customers["segment"].to_numpy()[cust],
        "comment": comments,
        "language": np.where(has_comment, lang, None),
    })
    rated = np.flatnonzero((rng.random(rows) < RATED_SHARE) & ~social)
    ratings = pd.DataFrame({
        "response": np.repeat(rated, 5),
        "attribute_code": np.tile(np.array(ATTRIBUTE_CODES), len(rated)),
        "score": attrs[rated].ravel().astype(int),
    })
    return {"customers": customers, "responses": responses, "ratings": ratings}


def _comments(rng: np.random.Generator, tp_list: list, tp_idx: np.ndarray, lang: np.ndarray, tone: np.ndarray,
              has_comment: np.ndarray) -> list[str | None]:
    t_pick = rng.integers(0, 3, len(tp_idx))
    p_pick = rng.integers(0, 2, len(tp_idx))
    q_pick = rng.integers(0, 2, len(tp_idx))
    out: list[str | None] = []
    for i in range(len(tp_idx)):
        if not has_comment[i]:
            out.append(None)
            continue
        tp = tp_list[tp_idx[i]][1]
        lg = lang[i]
        praise = (tp.praise_zh if lg == "zh" else tp.praise_en)[p_pick[i]]
        problem = (tp.problem_zh if lg == "zh" else tp.problem_en)[q_pick[i]]
        tmpl = _TEMPLATES[(lg, tone[i])][t_pick[i]]
        out.append(tmpl.format(tp=tp.zh if lg == "zh" else tp.en.lower(), praise=praise, problem=problem,
                               praise_lc=praise[0].lower() + praise[1:], problem_lc=problem[0].lower() + problem[1:]))
    return out


def _nullable(values: np.ndarray) -> list[object]:
    """numpy floats with NaN -> Python ints/None for the database driver."""
    return [None if v != v else int(v) for v in values.tolist()]


def _text(values: pd.Series) -> list[str | None]:
    """Strings, with pandas' missing values as None: Postgres would store a NaN float as the text 'nan'."""
    return [v if isinstance(v, str) else None for v in values.tolist()]


def load_demo(engine: Engine, rows: int = 20_000, industry: str = "hotel", seed: int = 7, end: dt.date = DEFAULT_END,
              progress: Callable[[float, str], None] | None = None, actor: str = "system") -> DemoResult:
    """Generate and store demo data as one import batch marked ``is_demo`` (one transaction, audited)."""
    t0 = time.perf_counter()
    report = progress or (lambda _f, _m: None)
    report(0.0, "generate")
    data = generate(rows, industry, seed, end)
    cust_df, resp_df, rat_df = data["customers"], data["responses"], data["ratings"]
    report(0.3, "write")
    with write_transaction(engine) as conn:
        ids = ensure_industry(conn, INDUSTRIES[industry])
        batch_id = conn.execute(ImportBatch.__table__.insert().values(
            file_name=f"demo:{industry}:{rows}:{seed}", content_hash=f"demo-{industry}-{rows}-{seed}",
            source="demo", user_name="demo", started_at=dt.datetime.now(), status="running", is_demo=True,
        )).inserted_primary_key[0]

        cust_base = next_id(conn, Customer.__table__)
        bulk_insert(conn, Customer.__table__,
                    ("id", "customer_key", "name", "phone", "email", "segment", "region", "batch_id"),
                    ((cust_base + i, *row, batch_id) for i, row in enumerate(zip(
                        *(_text(cust_df[c]) for c in ("customer_key", "name", "phone", "email", "segment", "region")),
                        strict=True))))
        resp_base = next_id(conn, Response.__table__)
        cols = ("id", "batch_id", "row_key", "customer_id", "channel_id", "stage_id", "touchpoint_id", "occurred_at",
                "occurred_date", "journey_key", "journey_step", "nps", "csat", "ces", "overall_sat", "spend",
                "region", "product", "segment", "comment", "language")
        ch = resp_df["channel_code"].map(ids["channel"]).tolist()
        st = resp_df["stage_code"].map(ids["stage"]).tolist()
        tp = resp_df["touchpoint_code"].map(ids["touchpoint"]).tolist()
        at = pd.to_datetime(resp_df["occurred_at"])
        if conn.dialect.name == "sqlite":  # ISO text is what SQLAlchemy stores there; skip per-row conversion
            at_s, day = at.dt.strftime("%Y-%m-%d %H:%M:%S").tolist(), at.dt.strftime("%Y-%m-%d").tolist()
        else:
            at_s, day = at.dt.to_pydatetime().tolist(), at.dt.date.tolist()
        nps, csat, ces, ovr = (_nullable(resp_df[c].to_numpy()) for c in ("nps", "csat", "ces", "overall_sat"))
        spend = [None if v != v else v for v in resp_df["spend"].tolist()]
        cust_ids = (resp_df["customer"] + cust_base).tolist()
        js = resp_df["journey_step"].tolist()
        rk, jk, rg, pr, sg, cm, lg = (_text(resp_df[c]) for c in (
            "row_key", "journey_key", "region", "product", "segment", "comment", "language"))
        attr_ids = rat_df["attribute_code"].map(ids["attribute"]).tolist()
        rat_ids = (rat_df["response"] + resp_base).to_numpy()
        ratings = pd.DataFrame({"response_id": rat_ids, "attribute_id": attr_ids, "score": rat_df["score"].to_numpy()})
        sums = BatchRollup(conn, batch_id)  # the rollups, summed from the rows in memory chunk by chunk
        for lo in range(0, rows, CHUNK):
            hi = min(lo + CHUNK, rows)
            bulk_insert(conn, Response.__table__, cols, (
                (resp_base + i, batch_id, rk[i], cust_ids[i], ch[i], st[i], tp[i], at_s[i], day[i], jk[i], int(js[i]),
                 nps[i], csat[i], ces[i], ovr[i], spend[i], rg[i], pr[i], sg[i], cm[i], lg[i])
                for i in range(lo, hi)))
            in_chunk = (rat_ids >= resp_base + lo) & (rat_ids < resp_base + hi)
            sums.add({"id": range(resp_base + lo, resp_base + hi), "occurred_date": day[lo:hi], "channel_id": ch[lo:hi],
                      "stage_id": st[lo:hi], "touchpoint_id": tp[lo:hi], "region": rg[lo:hi], "segment": sg[lo:hi],
                      "nps": nps[lo:hi], "csat": csat[lo:hi], "ces": ces[lo:hi], "overall_sat": ovr[lo:hi],
                      "spend": spend[lo:hi]}, ratings[in_chunk])
            report(0.3 + 0.55 * hi / rows, "write")
        bulk_insert(conn, Rating.__table__, ("response_id", "attribute_id", "score"),
                    zip(rat_ids.tolist(), attr_ids, rat_df["score"].tolist(), strict=True))
        for table in (Customer.__table__, Response.__table__):
            sync_sequence(conn, table)
        sums.finish()
        report(0.9, "text")
        text_store.add_batch(conn, batch_id, config_for_demo(conn, industry))  # analysed like any import's
        items = seed_demo_items(conn, batch_id, seed, end)
        audit.record(conn, actor, "demo_load", target=f"batch:{batch_id}", rows=rows,
                     detail={"industry": industry, "seed": seed, "action_items": items})
        elapsed = time.perf_counter() - t0
        conn.execute(update(ImportBatch.__table__).where(ImportBatch.__table__.c.id == batch_id).values(
            status="done", rows_imported=rows, finished_at=dt.datetime.now(), duration_s=elapsed))
    report(1.0, "done")
    return DemoResult(int(batch_id), rows, len(cust_df), len(rat_df), time.perf_counter() - t0)


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
