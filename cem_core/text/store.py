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
``cem_core.text.report``; bigrams are in the month cells only, ``text.sums.BIGRAM``). Both are built from the
same counters, in the writer's transaction. The same
counters keep the journey map's text cells by region, product and segment (``text_touchpoint_cell``: comments
and negative comments, negative clauses per topic), so every writer here keeps them too.

``reanalyse`` re-runs the analysis after a settings change in chunks of comments (by id) taking about
``CHUNK_SECONDS``, one transaction each, so the app stays usable and other writers wait at most one
chunk: each chunk rewrites only the comments whose analysis changed and moves the day rollups and
cells by rows of differences computed in Python (no recount in SQL); the batch's cells are compacted
now and then and at its end. With progress (``python -m cem_core text rebuild``).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import nullcontext

import numpy as np
from sqlalchemy import Connection, Engine, case, func, insert, inspect, select, update

from cem_core.analyze.cells import month_of
from cem_core.db import write_transaction
from cem_core.db.bulk import bulk_insert, deferred_indexes
from cem_core.db.models import (
    PLACES,
    TEXT_SENTIMENTS,
    Response,
    ResponseText,
    TextTermRollup,
    TextTopicRollup,
    text_term_cell,
    text_topic_cell,
    text_touchpoint_cell,
)
from cem_core.text.dictionaries import TextConfig
from cem_core.text.helper import IN_FLIGHT, TwoCores
from cem_core.text.rows import Analyses, _Row
from cem_core.text.settings import active_config
from cem_core.text.sums import ALL_TOPICS, BIGRAM, COUNTED, NONE, TERM, TERM_MAX, Packed, TextSums
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
# text_touchpoint_cell: the cell keys and the place (0032 added the channel: a channel filter with a region,
# product or segment filter read the comments' rows, 2.8 scans at 1M)
PLACE_KEYS = (*CELL_KEYS, *PLACES, "topic")
PLACE_CELL_COLUMNS = (*PLACE_KEYS, "comments", "negative")
SENTIMENT_SLOT = {s: i for i, s in enumerate(TEXT_SENTIMENTS)}
FETCH = 20_000
IN_LIST = 500  # ids per IN (...) list
CHUNK, CHUNK_MIN, CHUNK_SECONDS = 50_000, 1_000, 3.0  # a ``reanalyse`` transaction: at most / least, target s
COMPACT_AFTER = 100_000  # comments re-analysed between two compactions of a batch's month cells
Progress = Callable[[float, str], None]


class _Rollups:
    """Additive counts built while a batch is analysed (or recounted), inserted in one go. Each comment is
    counted once, by day; the month cells are summed from the day counts when written (a day count
    holds many comments, so that is far less work than counting every comment twice). The journey map's
    cells by channel, region, product and segment (``text_touchpoint_cell``) are counted by month directly:
    their key holds the comment's place, which the day counts do not."""

    def __init__(self) -> None:
        # (day, channel, stage, touchpoint, sentiment, kind) -> term counts: Counter.update counts in C
        self.terms: dict[tuple, Counter[str]] = defaultdict(Counter)
        # (day, channel, stage, touchpoint, topic, sentiment) -> n, nps_n, promoters, detractors, score_sum
        self.topics: dict[tuple, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0.0])
        # (month, channel, stage, touchpoint, region, product, segment, topic) -> comments, negative
        self.places: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])

    def add(self, key: tuple, nps: int | None, label: str, score: float, terms: list[str],
            bigrams: list[str], topics: Iterable[tuple[str, str]], sign: int = 1) -> None:
        """Count one comment in (``sign`` 1) or out of (-1: its stored analysis, being replaced or deleted).
        ``key``: (day, channel, stage, touchpoint, region, product, segment)."""
        place = (key[0][:8] + "01", *key[1:])
        key = key[:4]
        count = Counter.update if sign > 0 else Counter.subtract
        if terms:
            count(self.terms[(*key, label, TERM)], terms)
        if bigrams:
            count(self.terms[(*key, label, BIGRAM)], bigrams)
        has_nps = sign if nps is not None else 0
        prom = has_nps if has_nps and nps >= 9 else 0
        det = has_nps if has_nps and nps <= 6 else 0
        score *= sign
        for code, topic_label in ((ALL_TOPICS, label), *topics):
            acc = self.topics[(*key, code, topic_label)]
            acc[0] += sign
            acc[1] += has_nps
            acc[2] += prom
            acc[3] += det
            acc[4] += score
        negative = label == "negative"
        acc = self.places[(*place, ALL_TOPICS)]
        acc[0] += sign
        acc[1] += sign if negative else 0
        for code, topic_label in topics:
            if topic_label == "negative":
                self.places[(*place, code)][1] += sign

    def term_cell_rows(self) -> dict[tuple, list[int]]:
        """(month, channel, stage, touchpoint, kind, term) -> [positive, neutral, negative]."""
        out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
        for (day, ch, st, tp, label, kind), counts in self.terms.items():
            slot, month = SENTIMENT_SLOT[label], day[:8] + "01"
            for w, n in counts.items():
                if n:
                    out[(month, ch, st, tp, kind, w[:TERM_MAX])][slot] += n
        return out

    def topic_cell_rows(self) -> dict[tuple, list[float]]:
        """(month, channel, stage, touchpoint, topic) -> positive, neutral, negative, nps_n, promoters,
        detractors, score_sum."""
        out: dict[tuple, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0.0])
        for (day, ch, st, tp, code, label), (n, nps_n, prom, det, score) in self.topics.items():
            acc = out[(day[:8] + "01", ch, st, tp, code)]
            acc[SENTIMENT_SLOT[label]] += n
            acc[3] += nps_n
            acc[4] += prom
            acc[5] += det
            acc[6] += score
        return out

    def write(self, conn: Connection, batch_id: int) -> None:
        """Insert the counts. Counts taken out (``add`` with sign -1) make rows of differences: the rollups
        are additive, so they keep every sum right (deletion on request, re-analysis); keys whose
        differences are all zero are left out."""
        terms = ((*k, w[:TERM_MAX], n) for k, counts in self.terms.items() if k[-1] != BIGRAM  # cells only
                 for w, n in counts.items() if n)
        bulk_insert(conn, _terms, TERM_COLUMNS, ((batch_id, *row) for row in terms))
        bulk_insert(conn, _topics, TOPIC_COLUMNS,
                    ((batch_id, *k, *(int(x) for x in v[:4]), float(v[4])) for k, v in self.topics.items()
                     if _nonzero(v)))
        bulk_insert(conn, text_term_cell, TERM_CELL_COLUMNS,
                    ((batch_id, *k, *v) for k, v in self.term_cell_rows().items() if any(v)))
        bulk_insert(conn, text_topic_cell, TOPIC_CELL_COLUMNS,
                    ((batch_id, *k, *(int(x) for x in v[:6]), float(v[6])) for k, v in self.topic_cell_rows().items()
                     if _nonzero(v)))
        self.write_places(conn, batch_id)

    def write_places(self, conn: Connection, batch_id: int) -> None:
        """Insert the ``text_touchpoint_cell`` counts alone (``place_cells_from_stored``: the others stay)."""
        bulk_insert(conn, text_touchpoint_cell, PLACE_CELL_COLUMNS,
                    ((batch_id, *k, *v) for k, v in self.places.items() if any(v)))


def _nonzero(values: list[float]) -> bool:
    """Any count or sum not zero (float sums: above 1e-9)."""
    return any(abs(x) > 1e-9 for x in values)


def _day(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)[:10]


def _comments(conn: Connection, batch_id: int) -> Iterator[list[tuple]]:
    """A batch's comments in id order, FETCH at a time (keyset paging: no cursor stays open while the
    caller inserts on the same connection)."""
    last = -1
    while True:
        stmt = (select(_rows.c.id, _rows.c.comment, _rows.c.language, _rows.c.nps,
                       *(_rows.c[k] for k in (*KEYS, *PLACES)))
                .where(_rows.c.batch_id == batch_id, _rows.c.comment.is_not(None), _rows.c.id > last))
        chunk = conn.execute(stmt.order_by(_rows.c.id).limit(FETCH)).all()
        if not chunk:
            return
        yield chunk
        last = chunk[-1][0]


def import_config(conn: Connection) -> TextConfig | None:
    """The config an import analyses its comments with; None for a database still below migration 0010,
    which has nowhere to store them (its comments are analysed by ``text rebuild`` once it is upgraded)."""
    return active_config(conn) if inspect(conn).has_table(_text.name) else None


class BatchText:
    """The text side of one batch being imported: each chunk's analysed comments are stored and their terms
    and topics summed with numpy as the chunk is written (``text.sums.TextSums``, the demo's counting path
    too); ``finish`` writes the rollups (same transaction)."""

    def __init__(self, conn: Connection, batch_id: int, version: int) -> None:
        self.conn, self.batch_id, self.version = conn, batch_id, version
        self.sums = TextSums(conn, batch_id)
        self.done = 0

    #: what ``add`` needs of a chunk's responses: ``id``, then what the sums count by
    COLUMNS = ("id", *COUNTED)

    def add(self, columns: Mapping[str, Sequence[object]], packed: Packed) -> None:
        """Store and count one chunk: its responses' ``COLUMNS`` (``occurred_date`` an ISO day; lists, None
        blank) and the chunk's analysis (``Packed``, built where the comments were analysed)."""
        has = np.flatnonzero(packed.label != NONE)
        if not len(has):
            return
        keep = has.tolist()
        stored, ids = packed.stored, columns["id"]
        bulk_insert(self.conn, _text, ("response_id", *TEXT_COLUMNS[2:-1]),
                    [(ids[i], *stored[i]) for i in keep], {"batch_id": self.batch_id, "version": self.version})
        self.done += len(keep)
        sums, k = self.sums, len(keep)
        pos = np.full(len(stored), NONE)
        pos[has] = np.arange(k)
        label = packed.label[has]
        term, topic = packed.term, packed.topic  # entries of analysed comments only
        every = sums.topic_numbers([ALL_TOPICS])  # '*' with the comment's label, then each topic with its clause's
        sums.add(columns, has, label, packed.score[has],
                 (pos[term[:, 0]], sums.term_numbers(packed.words)[term[:, 1]], term[:, 2],
                  np.ones(len(term), dtype=np.int64)),
                 (np.concatenate([np.arange(k), pos[topic[:, 0]]]),
                  np.concatenate([np.repeat(every, k), sums.topic_numbers(packed.codes)[topic[:, 1]]]),
                  np.concatenate([label, topic[:, 2]])))

    def finish(self, defer_indexes: bool = False) -> int:
        """Write the batch's rollups. ``defer_indexes`` (a bulk load, ``ingest.load``): their secondary
        indexes are dropped and rebuilt around the insert, one sort instead of a B-tree insert per row."""
        with deferred_indexes(self.conn, [t.name for t in ROLLUPS]) if defer_indexes else nullcontext():
            self.sums.finish()
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
             progress: Callable[[int], None] | None = None) -> int:
    """Analyse the batch's comments, store each and count it in ``roll``."""
    version = analyses.analyzer.config.version
    done = 0
    for chunk in _comments(conn, batch_id):
        rows = analyses.rows([c.comment for c in chunk], [c.language for c in chunk])
        keys = [(_day(c[4]), *c[5:11]) for c in chunk]  # id, comment, language, nps, day, ch, st, tp, *PLACES
        done += _store(conn, batch_id, version, roll, [c.id for c in chunk], keys, [c.nps for c in chunk], rows)
        if progress:
            progress(done)
    return done


def _split(value: str) -> list[str]:
    return [s for s in value.split("|") if s]


def _stored(conn: Connection, batch_id: int, ids: list[int] | None = None, sign: int = 1) -> _Rollups:
    """The rollup counts of a batch's stored analysis (of the responses ``ids`` if given), without
    re-analysing; with ``sign`` -1 taken out (rows of differences)."""
    roll = _Rollups()
    stmt = (select(_text.c.label, _text.c.score, _text.c.terms, _text.c.topics, _rows.c.nps,
                   *(_rows.c[k] for k in (*KEYS, *PLACES)))
            .join(_rows, _rows.c.id == _text.c.response_id).where(_text.c.batch_id == batch_id))
    if ids is not None:
        stmt = stmt.where(_text.c.response_id.in_(ids))
    for label, score, terms, topics, nps, day, *key in conn.execute(stmt).all():
        add_stored(roll, (_day(day), *key), nps, label, score, terms, topics, sign)
    return roll


def add_stored(roll: _Rollups, key: tuple, nps: int | None, label: str, score: float, terms: str, topics: str,
               sign: int) -> None:
    """Count one comment's stored analysis (its ``terms`` and ``topics`` columns) in or out of ``roll``."""
    words = _split(terms)
    roll.add(key, nps, label, score, words, bigrams(words), [tuple(t.rsplit(":", 1)) for t in _split(topics)],
             sign)


ROLLUPS = (_terms, _topics, text_term_cell, text_topic_cell, text_touchpoint_cell)


def forget(conn: Connection, response_ids: list[int]) -> None:
    """Take these responses' comments out of the rollups (rows of differences), before the responses
    are deleted (deletion on request): no recount of their batches, whatever their size."""
    for start in range(0, len(response_ids), FETCH):
        ids = response_ids[start:start + FETCH]
        batches = conn.execute(select(_text.c.batch_id).where(_text.c.response_id.in_(ids)).distinct()).scalars()
        for batch_id in sorted(batches):
            _stored(conn, batch_id, ids=ids, sign=-1).write(conn, batch_id)


def rebuild_batches(conn: Connection, batch_ids: Iterable[int]) -> None:
    """Recount the rollups of batches whose rows changed individually, from the stored analysis."""
    for batch_id in sorted(set(batch_ids)):
        for table in ROLLUPS:
            conn.execute(table.delete().where(table.c.batch_id == batch_id))
        _stored(conn, batch_id).write(conn, batch_id)


def cells_from_day_rollups(conn: Connection) -> None:
    """All the month cells from the day rollups in SQL, no re-analysis (migration 0019; day-rollup rows of
    batches without stored analysis go first, undo used to leave them)."""
    analysed = select(_text.c.batch_id).distinct()
    for table in (_terms, _topics):
        conn.execute(table.delete().where(table.c.batch_id.not_in(analysed)))
    for day, cell, keys, sums in (
            (_terms, text_term_cell, ("kind", "term"), ()),
            (_topics, text_topic_cell, ("topic",), ("nps_n", "promoters", "detractors", "score_sum"))):
        c = day.c
        month = month_of(c.occurred_date, conn.dialect.name)
        group = [c.batch_id, month, c.channel_id, c.stage_id, c.touchpoint_id, *(c[k] for k in keys)]
        counts = [func.sum(case((c.sentiment == s, c.n), else_=0)) for s in TEXT_SENTIMENTS]
        stmt = select(*group, *counts, *(func.sum(c[m]) for m in sums)).group_by(*group)
        conn.execute(insert(cell).from_select([*CELL_KEYS, *keys, *TEXT_SENTIMENTS, *sums], stmt))


def bigram_days_from_stored(conn: Connection) -> None:
    """The day rollups' bigram rows, counted from the stored analysis (migration 0033's downgrade: the code
    before it reads a partial month's bigrams from them)."""
    for batch_id in conn.execute(select(_text.c.batch_id).distinct()).scalars().all():
        roll = _stored(conn, batch_id)
        bulk_insert(conn, _terms, TERM_COLUMNS, ((batch_id, *k, w[:TERM_MAX], n) for k, counts in roll.terms.items()
                                                 if k[-1] == BIGRAM for w, n in counts.items() if n))


def place_cells_from_stored(conn: Connection) -> None:
    """Every batch's ``text_touchpoint_cell`` from the stored analysis, no re-analysis (migration 0031): one
    pass over each batch's comments with the writers' counters, the other rollups left as they are."""
    conn.execute(text_touchpoint_cell.delete())
    for batch_id in conn.execute(select(_text.c.batch_id).distinct()).scalars().all():
        roll = _Rollups()
        c = _rows.c
        stmt = (select(_text.c.label, _text.c.topics, *(c[k] for k in (*KEYS, *PLACES)))
                .join(_rows, c.id == _text.c.response_id).where(_text.c.batch_id == batch_id))
        for label, topics, day, *key in conn.execute(stmt):
            roll.add((_day(day), *key), None, label, 0.0, [], [], [tuple(t.rsplit(":", 1)) for t in _split(topics)])
        roll.write_places(conn, batch_id)


def _next_comments(conn: Connection, batch_id: int, after: int, limit: int) -> list[tuple]:
    """The batch's next ``limit`` (id, comment, language) by id after ``after``: what a chunk re-analyses,
    read ahead of its transaction (comments never change; a row deleted meanwhile is simply not found)."""
    stmt = (select(_rows.c.id, _rows.c.comment, _rows.c.language)
            .where(_rows.c.batch_id == batch_id, _rows.c.comment.is_not(None), _rows.c.id > after)
            .order_by(_rows.c.id).limit(limit))
    return conn.execute(stmt).all()


def reanalyse_chunk(conn: Connection, batch_id: int, after: int, last: int, fresh: dict[int, _Row | None],
                    analyses: Analyses) -> int:
    """Store the new analysis (``fresh``: response id -> analysis, computed ahead of this transaction) of
    the batch's comments with ids in (``after``, ``last``], in the caller's transaction. Only what changed
    is written: each comment's new analysis is compared with its stored one; an unchanged comment gets
    the new settings version and nothing else (one UPDATE over the id range); a changed one is replaced,
    and the day rollups and the month cells move by rows of differences (its old counts out, the new ones
    in, in one ``_Rollups`` in Python: nothing is recounted in SQL). A dictionary change touches a
    minority of comments, so the writes follow the change, not the data; an id range is a contiguous
    stretch of ``response_text``, so the pages written are few. A comment ``fresh`` lacks is analysed
    here. Returns the comments analysed."""
    version = analyses.analyzer.config.version
    stmt = (select(_rows.c.id, _rows.c.comment, _rows.c.language, _rows.c.nps,
                   *(_rows.c[k] for k in (*KEYS, *PLACES)), *(_text.c[k] for k in TEXT_COLUMNS[2:-1]))
            .select_from(_rows.outerjoin(_text, _text.c.response_id == _rows.c.id))
            .where(_rows.c.batch_id == batch_id, _rows.c.comment.is_not(None), _rows.c.id.between(after + 1, last)))
    delta = _Rollups()
    replaced: list[int] = []
    rows_in: list[tuple] = []
    done = 0
    for c in conn.execute(stmt).all():
        rid, nps, stored = c[0], c[3], tuple(c[11:])
        row = fresh[rid] if rid in fresh else analyses.rows([c[1]], [c[2]])[0]
        had = stored[0] is not None
        done += row is not None
        if (row is None and not had) or (row is not None and had and stored == row.stored):
            continue
        key = (_day(c[4]), *c[5:11])
        if had:
            replaced.append(rid)
            add_stored(delta, key, nps, stored[1], stored[2], stored[3], stored[4], -1)
        if row is not None:
            rows_in.append((rid, batch_id, *row.stored, version))
            delta.add(key, nps, row.label, row.score, row.terms, row.bigrams, row.topics)
    conn.execute(update(_text).where(_text.c.response_id.between(after + 1, last), _text.c.batch_id == batch_id,
                                     _text.c.version != version).values(version=version))
    for at in range(0, len(replaced), IN_LIST):
        conn.execute(_text.delete().where(_text.c.response_id.in_(replaced[at:at + IN_LIST])))
    bulk_insert(conn, _text, TEXT_COLUMNS, rows_in)
    delta.write(conn, batch_id)
    return done


def compact_cells(conn: Connection, batch_id: int) -> None:
    """Replace a batch's month cells by one row per key: the rows of differences a re-analysis added,
    summed, keys that sum to zero dropped. Reads only the cells (about 10 % of the day rollups)."""
    for cell, keys, sums in ((text_term_cell, (*CELL_KEYS, "kind", "term"), TEXT_SENTIMENTS),
                             (text_topic_cell, (*CELL_KEYS, "topic"), (*TEXT_SENTIMENTS, "nps_n", "promoters",
                                                                       "detractors", "score_sum")),
                             (text_touchpoint_cell, PLACE_KEYS, ("comments", "negative"))):
        c = cell.c
        group = [c[k] for k in keys]
        rows = conn.execute(select(*group, *(func.sum(c[m]) for m in sums)).where(c.batch_id == batch_id)
                            .group_by(*group)).all()
        conn.execute(cell.delete().where(c.batch_id == batch_id))
        width = len(group)
        bulk_insert(conn, cell, (*keys, *sums),
                    (r for r in rows if _nonzero(r[width:])))


def reanalyse(engine: Engine, progress: Progress | None = None, only_stale: bool = False) -> int:
    """Re-analyse every batch with the active settings in chunks of comments by id, one transaction each,
    sized to take about CHUNK_SECONDS (CHUNK_MIN to CHUNK comments): readers see a consistent analysis
    after every chunk (part new, part old while it runs), and another writer (an import, a deletion)
    waits for at most one chunk, far below SQLite's busy timeout. The comments are read and analysed
    ahead of their chunk's transaction, on two cores (``text.helper``: the next chunk's helper share is
    handed over before this one is written), so a transaction only compares and writes. A batch's month
    cells (which gather rows of differences meanwhile) are compacted every COMPACT_AFTER comments and at
    its end. Returns the comments analysed."""
    with engine.connect() as conn:
        config = active_config(conn)
        counts = dict(conn.execute(select(_rows.c.batch_id, func.count()).where(_rows.c.comment.is_not(None))
                                   .group_by(_rows.c.batch_id)).all())
        batches = sorted(counts)
        if only_stale:
            fresh = set(conn.execute(select(_text.c.batch_id).where(_text.c.version == config.version)
                                     .distinct()).scalars())
            stale = set(conn.execute(select(_text.c.batch_id).where(_text.c.version != config.version)
                                     .distinct()).scalars())
            batches = [b for b in batches if b in stale or b not in fresh]
    total = sum(counts[b] for b in batches)
    done = 0
    with TwoCores(Analyses(config), helper=total > 2 * CHUNK_MIN) as cores, engine.connect() as reader:
        for batch_id in batches:
            size, since, read_to = CHUNK_MIN, 0, -1
            ahead: deque[tuple[int, int, list[int]]] = deque()  # (after, last, ids) handed to ``cores``
            while True:
                while read_to is not None and len(ahead) < IN_FLIGHT:  # the next chunk goes out before this one
                    chunk = _next_comments(reader, batch_id, read_to, size)
                    reader.rollback()  # no read transaction stays open between chunks (SQLite WAL growth)
                    if not chunk:
                        read_to = None
                        break
                    cores.submit([c[1] for c in chunk], [c[2] for c in chunk])
                    ahead.append((read_to, chunk[-1][0], [c[0] for c in chunk]))
                    read_to = chunk[-1][0]
                if not ahead:
                    break
                t0 = time.perf_counter()
                after, last, ids = ahead.popleft()
                fresh = dict(zip(ids, cores.rows(), strict=True))
                with write_transaction(engine) as conn:
                    done += reanalyse_chunk(conn, batch_id, after, last, fresh, cores.analyses)
                    since += len(ids)
                    if since >= COMPACT_AFTER:
                        compact_cells(conn, batch_id)
                        since = 0
                size = max(CHUNK_MIN, min(CHUNK, int(len(ids) / max(time.perf_counter() - t0, 1e-3) * CHUNK_SECONDS)))
                if progress:
                    progress(min(1.0, done / max(1, total)), f"batch {batch_id}: {done:,}/{total:,}")
            if since:
                with write_transaction(engine) as conn:
                    compact_cells(conn, batch_id)
    if progress:
        progress(1.0, "done")
    return done
