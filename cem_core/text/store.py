"""Text analysis at write time: every writer of ``responses`` keeps ``response_text`` and the term and
topic rollups in step, in its own transaction (the same contract as ``cem_core.analyze.rollup``):

- after inserting a batch's rows: ``add_batch(conn, batch_id)`` (import, demo);
- before deleting single rows of existing batches (deletion on request): ``forget(conn, response_ids)``
  (their counts are subtracted from what is stored, no re-analysis and no recount of the batch);
  ``rebuild_batches(conn, ids)`` recounts whole batches from what is stored;
- deleting a whole batch (demo removal) needs nothing: every table here cascades from the batch; undo,
  which keeps the batch's record, calls ``rebuild_batches`` like a deletion.

Each analysed comment counts in two rollups of each kind: per day, channel, stage, touchpoint and
sentiment (``text_term_rollup``, ``text_topic_rollup``), and per month, channel, stage and touchpoint with the
three sentiments as columns (``text_term_cell``, ``text_topic_cell``: what the page reads for whole months;
``cem_core.text.report``). Both are built from the same counters, in the writer's transaction.

``reanalyse`` re-runs the analysis after a settings change in chunks of whole days taking about
``CHUNK_SECONDS``, one transaction each, so the app stays usable and other writers wait at most one
chunk: each chunk replaces its days' stored analysis and day rollups and moves the cells by the
difference (in SQL, from the day rollups before and after); each month's cells are compacted once the
month is done. With progress (``python -m cem_core text rebuild``).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Engine, and_, case, func, insert, inspect, select

from cem_core.analyze.cells import month_of, month_start, next_month
from cem_core.db import write_transaction
from cem_core.db.bulk import bulk_insert
from cem_core.db.models import (
    TEXT_SENTIMENTS,
    Response,
    ResponseText,
    TextTermRollup,
    TextTopicRollup,
    text_term_cell,
    text_topic_cell,
)
from cem_core.text.analyze import Analysis, TextAnalyzer, analyzer_for
from cem_core.text.dictionaries import TextConfig
from cem_core.text.settings import active_config
from cem_core.text.tokens import bigrams

_rows = Response.__table__
_text = ResponseText.__table__
_terms = TextTermRollup.__table__
_topics = TextTopicRollup.__table__
KEYS = ("occurred_date", "channel_id", "stage_id", "touchpoint_id")
TEXT_COLUMNS = ("response_id", "batch_id", "lang", "label", "score", "terms", "topics", "evidence", "version")
TERM_COLUMNS = ("batch_id", *KEYS, "sentiment", "kind", "term", "n")
TOPIC_COLUMNS = ("batch_id", *KEYS, "topic", "sentiment", "n", "nps_n", "promoters", "detractors", "score_sum")
CELL_KEYS = ("batch_id", "month", "channel_id", "stage_id", "touchpoint_id")
TERM_CELL_COLUMNS = (*CELL_KEYS, "kind", "term", *TEXT_SENTIMENTS)
TOPIC_CELL_COLUMNS = (*CELL_KEYS, "topic", *TEXT_SENTIMENTS, "nps_n", "promoters", "detractors", "score_sum")
SENTIMENT_SLOT = {s: i for i, s in enumerate(TEXT_SENTIMENTS)}
ALL_TOPICS = "*"  # the topic row every analysed comment counts in
TERM_MAX = 64
FETCH = 20_000
MEMO = 100_000  # distinct comments remembered per batch
CHUNK, CHUNK_MIN, CHUNK_SECONDS = 50_000, 1_000, 3.0  # a ``reanalyse`` transaction: at most / least, target s
Progress = Callable[[float, str], None]


class _Rollups:
    """Additive counts built while a batch is analysed (or recounted), inserted in one go."""

    def __init__(self) -> None:
        # (day, channel, stage, touchpoint, sentiment, kind) -> term counts: Counter.update counts in C
        self.terms: dict[tuple, Counter[str]] = defaultdict(Counter)
        self.topics: dict[tuple, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0.0])
        # the month cells: (month, channel, stage, touchpoint, sentiment, kind) -> term counts; (month,
        # channel, stage, touchpoint, topic) -> positive, neutral, negative, nps_n, promoters, detractors,
        # score_sum
        self.term_cells: dict[tuple, Counter[str]] = defaultdict(Counter)
        self.topic_cells: dict[tuple, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0.0])

    def add(self, key: tuple, nps: int | None, label: str, score: float, terms: list[str],
            bigrams: list[str], topics: Iterable[tuple[str, str]]) -> None:
        cell = (key[0][:8] + "01", *key[1:])  # the day 'YYYY-MM-DD' -> its month 'YYYY-MM-01'
        if terms:
            self.terms[(*key, label, 1)].update(terms)
            self.term_cells[(*cell, label, 1)].update(terms)
        if bigrams:
            self.terms[(*key, label, 2)].update(bigrams)
            self.term_cells[(*cell, label, 2)].update(bigrams)
        has_nps = nps is not None
        prom = 1 if has_nps and nps >= 9 else 0
        det = 1 if has_nps and nps <= 6 else 0
        for code, topic_label in ((ALL_TOPICS, label), *topics):
            acc = self.topics[(*key, code, topic_label)]
            acc[0] += 1
            acc[1] += has_nps
            acc[2] += prom
            acc[3] += det
            acc[4] += score
            acc = self.topic_cells[(*cell, code)]
            acc[SENTIMENT_SLOT[topic_label]] += 1
            acc[3] += has_nps
            acc[4] += prom
            acc[5] += det
            acc[6] += score

    def term_rows(self) -> dict[tuple, list[int]]:
        """(day, channel, stage, touchpoint, sentiment, kind, term) -> [n]."""
        out: dict[tuple, list[int]] = defaultdict(lambda: [0])
        for k, counts in self.terms.items():
            for w, n in counts.items():
                out[(*k, w[:TERM_MAX])][0] += n
        return out

    def term_cell_rows(self) -> dict[tuple, list[int]]:
        """(month, channel, stage, touchpoint, kind, term) -> [positive, neutral, negative]."""
        out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
        for (month, ch, st, tp, label, kind), counts in self.term_cells.items():
            slot = SENTIMENT_SLOT[label]
            for w, n in counts.items():
                out[(month, ch, st, tp, kind, w[:TERM_MAX])][slot] += n
        return out

    def write(self, conn: Connection, batch_id: int, old: _Rollups | None = None, cells: bool = True) -> None:
        """Insert the counts; with ``old``, only what changed from ``old`` to these (the rollups are
        additive, so rows of differences keep every sum right: deletion on request). Without ``cells``
        only the day rollups (a re-analysis derives its cells from them, ``cells_from_day_rollups``)."""
        if old is None:
            terms: Iterable[tuple] = ((*k, w[:TERM_MAX], n) for k, counts in self.terms.items()
                                      for w, n in counts.items())
            topics, term_cells, topic_cells = self.topics, self.term_cell_rows() if cells else {}, self.topic_cells
        else:
            terms = ((*k, n) for k, (n,) in _minus(self.term_rows(), old.term_rows()).items())
            topics = _minus(self.topics, old.topics)
            term_cells = _minus(self.term_cell_rows(), old.term_cell_rows())
            topic_cells = _minus(self.topic_cells, old.topic_cells)
        bulk_insert(conn, _terms, TERM_COLUMNS, ((batch_id, *row) for row in terms))
        bulk_insert(conn, _topics, TOPIC_COLUMNS,
                    ((batch_id, *k, *(int(x) for x in v[:4]), float(v[4])) for k, v in topics.items()))
        if not cells:
            return
        bulk_insert(conn, text_term_cell, TERM_CELL_COLUMNS, ((batch_id, *k, *v) for k, v in term_cells.items()))
        bulk_insert(conn, text_topic_cell, TOPIC_CELL_COLUMNS,
                    ((batch_id, *k, *(int(x) for x in v[:6]), float(v[6])) for k, v in topic_cells.items()))


def _minus(new: dict[tuple, list], old: dict[tuple, list]) -> dict[tuple, list]:
    """new - old per key, keys whose every difference is zero left out (float sums: below 1e-9)."""
    out = {}
    for key in new.keys() | old.keys():
        a, b = new.get(key), old.get(key)
        diff = list(a) if b is None else [-x for x in b] if a is None else [x - y for x, y in zip(a, b, strict=True)]
        if any(abs(x) > 1e-9 for x in diff):
            out[key] = diff
    return out


def _day(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)[:10]


def _comments(conn: Connection, batch_id: int, days: tuple[dt.date, dt.date] | None = None
              ) -> Iterator[list[tuple]]:
    """A batch's comments (of the days [first, last] if given), in id order, FETCH at a time (keyset
    paging: no cursor stays open while the caller inserts on the same connection)."""
    last = -1
    while True:
        stmt = (select(_rows.c.id, _rows.c.comment, _rows.c.language, _rows.c.nps, *(_rows.c[k] for k in KEYS))
                .where(_rows.c.batch_id == batch_id, _rows.c.comment.is_not(None), _rows.c.id > last))
        if days is not None:
            stmt = stmt.where(_rows.c.occurred_date.between(*days))
        chunk = conn.execute(stmt.order_by(_rows.c.id).limit(FETCH)).all()
        if not chunk:
            return
        yield chunk
        last = chunk[-1][0]


Memo = dict[tuple[str, str | None], "_Row | None"]
_NEW = object()  # not analysed yet (None is an analysis: a blank comment)


def import_config(conn: Connection) -> TextConfig | None:
    """The config an import analyses its comments with; None for a database still below migration 0010,
    which has nowhere to store them (its comments are analysed by ``text rebuild`` once it is upgraded)."""
    return active_config(conn) if inspect(conn).has_table(_text.name) else None


class Analyses:
    """Comments -> ``_Row``s under one config, each distinct (text, language) analysed once: short CX
    comments repeat a lot. The import analyses each chunk as it reads it."""

    def __init__(self, config: TextConfig) -> None:
        self.analyzer: TextAnalyzer = analyzer_for(config)
        self.seen: Memo = {}

    def rows(self, comments: Iterable[str | None], languages: Iterable[str | None]) -> list[_Row | None]:
        seen, out = self.seen, []
        for key in zip(comments, languages, strict=True):
            row = seen.get(key, _NEW)
            if row is _NEW:
                row = _row(self.analyzer.analyse(*key))
                if len(seen) >= MEMO:
                    seen.clear()
                seen[key] = row
            out.append(row)
        return out


class BatchText:
    """The text side of one batch being imported: each chunk's analysed comments are stored and counted
    as the chunk is written; ``finish`` writes the rollups (same transaction)."""

    def __init__(self, conn: Connection, batch_id: int, version: int) -> None:
        self.conn, self.batch_id, self.version = conn, batch_id, version
        self.roll = _Rollups()
        self.done = 0

    def add(self, ids: Iterable[int], keys: Iterable[tuple], nps: Iterable[int | None],
            rows: Iterable[_Row | None]) -> None:
        """Store and count one chunk: response ids, their (day, channel, stage, touchpoint), NPS, analysis."""
        self.done += _store(self.conn, self.batch_id, self.version, self.roll, ids, keys, nps, rows)

    def finish(self) -> int:
        self.roll.write(self.conn, self.batch_id)
        return self.done




def add_batch(conn: Connection, batch_id: int, config: TextConfig | None = None,
              progress: Callable[[int], None] | None = None) -> int:
    """Analyse every comment of one batch and add it to the rollups; returns the comments analysed.
    A database still below migration 0010 has nowhere to store it: nothing is done (its comments are
    analysed by ``text rebuild`` once it is upgraded)."""
    if not inspect(conn).has_table(_text.name):
        return 0
    roll = _Rollups()
    done = _analyse(conn, batch_id, Analyses(config or active_config(conn)), roll, progress=progress)
    roll.write(conn, batch_id)
    return done


def _store(conn: Connection, batch_id: int, version: int, roll: _Rollups, ids: Iterable[int],
           keys: Iterable[tuple], nps: Iterable[int | None], rows: Iterable[_Row | None]) -> int:
    """Store one chunk's analyses and count them in ``roll``; returns the comments stored."""
    out = []
    for rid, key, score, row in zip(ids, keys, nps, rows, strict=True):
        if row is not None:
            out.append((rid, batch_id, *row.stored, version))
            roll.add(key, score, row.label, row.score, row.terms, row.bigrams, row.topics)
    bulk_insert(conn, _text, TEXT_COLUMNS, out)
    return len(out)


def _analyse(conn: Connection, batch_id: int, analyses: Analyses, roll: _Rollups,
             days: tuple[dt.date, dt.date] | None = None, progress: Callable[[int], None] | None = None) -> int:
    """Analyse the batch's comments (of ``days``), store each and count it in ``roll``."""
    version = analyses.analyzer.config.version
    done = 0
    for chunk in _comments(conn, batch_id, days):
        rows = analyses.rows([c.comment for c in chunk], [c.language for c in chunk])
        keys = [(_day(day), ch, st, tp) for *_, day, ch, st, tp in chunk]
        done += _store(conn, batch_id, version, roll, [c.id for c in chunk], keys, [c.nps for c in chunk], rows)
        if progress:
            progress(done)
    return done


@dataclass(frozen=True)
class _Row:
    """One comment's analysis, ready to store and to count."""

    stored: tuple  # lang, label, score, terms, topics, evidence as the columns of response_text hold them
    label: str
    score: float
    terms: list[str]
    bigrams: list[str]
    topics: list[tuple[str, str]]


def _row(a: Analysis | None) -> _Row | None:
    if a is None:
        return None
    topics = [(m.code, m.label) for m in a.topics]
    stored = (a.lang, a.label, round(a.score, 4), _join(a.terms), _join(f"{c}:{lab}" for c, lab in topics),
              json.dumps(a.evidence, ensure_ascii=False))
    return _Row(stored, a.label, a.score, a.terms, a.bigrams, topics)


def _join(items: Iterable[str]) -> str:
    """"|a|b|": a LIKE '%|a|%' finds a whole term, never a part of another one."""
    parts = [s.replace("|", "/") for s in items]
    return "|" + "|".join(parts) + "|" if parts else "|"


def _split(value: str) -> list[str]:
    return [s for s in value.split("|") if s]


def _stored(conn: Connection, batch_id: int, ids: list[int] | None = None) -> _Rollups:
    """The rollup counts of a batch's stored analysis (of the responses ``ids`` if given), without
    re-analysing."""
    roll = _Rollups()
    stmt = (select(_text.c.label, _text.c.score, _text.c.terms, _text.c.topics, _rows.c.nps,
                   *(_rows.c[k] for k in KEYS))
            .join(_rows, _rows.c.id == _text.c.response_id).where(_text.c.batch_id == batch_id))
    if ids is not None:
        stmt = stmt.where(_text.c.response_id.in_(ids))
    for label, score, terms, topics, nps, day, ch, st, tp in conn.execute(stmt).all():
        words = _split(terms)
        pairs = [tuple(t.rsplit(":", 1)) for t in _split(topics)]
        roll.add((_day(day), ch, st, tp), nps, label, score, words, bigrams(words), pairs)
    return roll


ROLLUPS = (_terms, _topics, text_term_cell, text_topic_cell)


def forget(conn: Connection, response_ids: list[int]) -> None:
    """Take these responses' comments out of the rollups (rows of differences), before the responses
    are deleted (deletion on request): no recount of their batches, whatever their size."""
    for start in range(0, len(response_ids), FETCH):
        ids = response_ids[start:start + FETCH]
        batches = conn.execute(select(_text.c.batch_id).where(_text.c.response_id.in_(ids)).distinct()).scalars()
        for batch_id in sorted(batches):
            _Rollups().write(conn, batch_id, old=_stored(conn, batch_id, ids=ids))


def rebuild_batches(conn: Connection, batch_ids: Iterable[int]) -> None:
    """Recount the rollups of batches whose rows changed individually, from the stored analysis."""
    for batch_id in sorted(set(batch_ids)):
        for table in ROLLUPS:
            conn.execute(table.delete().where(table.c.batch_id == batch_id))
        _stored(conn, batch_id).write(conn, batch_id)


def cells_from_day_rollups(conn: Connection, batch_id: int | None = None,
                           days: tuple[dt.date, dt.date] | None = None, sign: int = 0) -> None:
    """The month cells from the day rollups in SQL, no re-analysis: all of them (migration 0019; day-rollup
    rows of batches without stored analysis go first, undo used to leave them); with ``sign`` 0, one
    batch's cells of the whole months around ``days`` replaced (compaction); with ``sign`` -1 / +1, the
    counts of one batch's ``days`` taken out of / added to its cells as rows of differences (a chunk of a
    re-analysis, before and after it replaces those days' day rollups)."""
    if batch_id is None:
        analysed = select(_text.c.batch_id).distinct()
        for table in (_terms, _topics):
            conn.execute(table.delete().where(table.c.batch_id.not_in(analysed)))
    elif sign == 0:
        days = (month_start(days[0]), next_month(days[1]) - dt.timedelta(days=1))
        for cell in (text_term_cell, text_topic_cell):
            conn.execute(cell.delete().where(cell.c.batch_id == batch_id, cell.c.month.between(*days)))
    factor = sign or 1
    for day, cell, keys, sums in (
            (_terms, text_term_cell, ("kind", "term"), ()),
            (_topics, text_topic_cell, ("topic",), ("nps_n", "promoters", "detractors", "score_sum"))):
        c = day.c
        month = month_of(c.occurred_date, conn.dialect.name)
        group = [c.batch_id, month, c.channel_id, c.stage_id, c.touchpoint_id, *(c[k] for k in keys)]
        counts = [func.sum(case((c.sentiment == s, c.n), else_=0)) * factor for s in TEXT_SENTIMENTS]
        stmt = select(*group, *counts, *(func.sum(c[m]) * factor for m in sums)).group_by(*group)
        if batch_id is not None:
            stmt = stmt.where(_by_date(day, batch_id, days))
        conn.execute(insert(cell).from_select([*CELL_KEYS, *keys, *TEXT_SENTIMENTS, *sums], stmt))


def _by_date(table, batch_id: int, days: tuple[dt.date, dt.date]) -> ColumnElement[bool]:
    """A batch's rows of some days, found through the ``occurred_date`` index: ``batch_id + 0`` keeps
    SQLite (no ANALYZE statistics) from walking the batch index instead, i.e. the whole of a 1M batch."""
    return and_((table.c.batch_id + 0) == batch_id, table.c.occurred_date.between(*days))


def reanalyse_days(conn: Connection, batch_id: int, days: tuple[dt.date, dt.date], analyses: Analyses) -> int:
    """Analyse again the batch's comments of the days [first, last], in the caller's transaction: their
    stored analysis and the day rollups of those days are replaced, and the cells follow by rows of
    differences (the old days' counts out, the new ones in; ``reanalyse`` compacts each finished month).
    Returns the comments analysed."""
    cells_from_day_rollups(conn, batch_id, days, sign=-1)
    of_days = select(_rows.c.id).where(_by_date(_rows, batch_id, days))
    conn.execute(_text.delete().where(_text.c.response_id.in_(of_days)))
    for table in (_terms, _topics):
        conn.execute(table.delete().where(_by_date(table, batch_id, days)))
    roll = _Rollups()
    done = _analyse(conn, batch_id, analyses, roll, days)
    roll.write(conn, batch_id, cells=False)
    cells_from_day_rollups(conn, batch_id, days, sign=1)
    return done


def _days(conn: Connection, batch_id: int) -> list[tuple[dt.date, int]]:
    """(day, comments) of a batch, in date order."""
    day = _rows.c.occurred_date
    stmt = (select(day, func.count()).where(_rows.c.batch_id == batch_id, _rows.c.comment.is_not(None))
            .group_by(day).order_by(day))
    return [(d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)[:10]), int(n))
            for d, n in conn.execute(stmt)]


def reanalyse(engine: Engine, progress: Progress | None = None, only_stale: bool = False) -> int:
    """Re-analyse every batch with the active settings in chunks of whole days, one transaction each,
    sized to take about CHUNK_SECONDS (at least one day, at most CHUNK comments unless one day holds
    more): readers see a consistent analysis after every chunk (part new, part old while it runs), and
    another writer (an import, a deletion) waits for at most one chunk, far below SQLite's busy timeout.
    Returns the comments analysed."""
    with engine.connect() as conn:
        config = active_config(conn)
        batches = sorted(conn.execute(select(_rows.c.batch_id).where(_rows.c.comment.is_not(None))
                                      .distinct()).scalars())
        if only_stale:
            fresh = set(conn.execute(select(_text.c.batch_id).where(_text.c.version == config.version)
                                     .distinct()).scalars())
            stale = set(conn.execute(select(_text.c.batch_id).where(_text.c.version != config.version)
                                     .distinct()).scalars())
            batches = [b for b in batches if b in stale or b not in fresh]
        plan = {b: _days(conn, b) for b in batches}
    total = sum(n for days in plan.values() for _d, n in days)
    done = 0
    for batch_id, days in plan.items():
        analyses = Analyses(config)  # a memo per batch
        pos, size, open_month = 0, CHUNK_MIN, None  # open_month: the first month not compacted yet
        while pos < len(days):
            end, n = pos + 1, days[pos][1]
            while end < len(days) and n + days[end][1] <= size:
                n += days[end][1]
                end += 1
            t0 = time.perf_counter()
            first, last = days[pos][0], days[end - 1][0]
            open_month = open_month or month_start(first)
            finished = last if end == len(days) or month_start(days[end][0]) > month_start(last) else \
                month_start(last) - dt.timedelta(days=1)  # the months done with this chunk end there
            with write_transaction(engine) as conn:
                done += reanalyse_days(conn, batch_id, (first, last), analyses)
                if finished >= open_month:
                    cells_from_day_rollups(conn, batch_id, (open_month, finished))  # compact them
                    open_month = next_month(finished)
            size = max(CHUNK_MIN, min(CHUNK, int(n / max(time.perf_counter() - t0, 1e-3) * CHUNK_SECONDS)))
            pos = end
            if progress:
                progress(min(1.0, done / max(1, total)), f"batch {batch_id}: {done:,}/{total:,}")
    if progress:
        progress(1.0, "done")
    return done
