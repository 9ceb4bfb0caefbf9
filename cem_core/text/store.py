"""Text analysis at write time: every writer of ``responses`` keeps ``response_text`` and the term and
topic rollups in step, in its own transaction (the same contract as ``cem_core.analyze.rollup``):

- after inserting a batch's rows: ``add_batch(conn, batch_id)`` (import, demo);
- after deleting single rows of existing batches (deletion on request): ``rebuild_batches(conn, ids)``
  (the rows' ``response_text`` went by cascade; the rollups are recounted from what is stored, no
  re-analysis);
- deleting a whole batch (undo, demo removal) needs nothing: every table here cascades from the batch.

``reanalyse`` re-runs the analysis after a settings change, one batch per transaction so the app stays
usable, with progress (``python -m cem_core text rebuild``).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, inspect, select

from cem_core.db import write_transaction
from cem_core.db.bulk import bulk_insert
from cem_core.db.models import Response, ResponseText, TextTermRollup, TextTopicRollup
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
ALL_TOPICS = "*"  # the topic row every analysed comment counts in
TERM_MAX = 64
FETCH = 20_000
MEMO = 100_000  # distinct comments remembered per batch
_NEW = object()  # not analysed yet (None is an analysis: a blank comment)
Progress = Callable[[float, str], None]


class _Rollups:
    """Additive counts built while a batch is analysed (or recounted), inserted in one go."""

    def __init__(self) -> None:
        # (day, channel, stage, touchpoint, sentiment, kind) -> term counts: Counter.update counts in C
        self.terms: dict[tuple, Counter[str]] = defaultdict(Counter)
        self.topics: dict[tuple, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0.0])

    def add(self, key: tuple, nps: int | None, label: str, score: float, terms: list[str],
            bigrams: list[str], topics: Iterable[tuple[str, str]]) -> None:
        if terms:
            self.terms[(*key, label, 1)].update(terms)
        if bigrams:
            self.terms[(*key, label, 2)].update(bigrams)
        prom = 1 if nps is not None and nps >= 9 else 0
        det = 1 if nps is not None and nps <= 6 else 0
        for code, topic_label in ((ALL_TOPICS, label), *topics):
            acc = self.topics[(*key, code, topic_label)]
            acc[0] += 1
            acc[1] += nps is not None
            acc[2] += prom
            acc[3] += det
            acc[4] += score

    def write(self, conn: Connection, batch_id: int) -> None:
        bulk_insert(conn, _terms, TERM_COLUMNS,
                    ((batch_id, *k, w[:TERM_MAX], n) for k, counts in self.terms.items() for w, n in counts.items()))
        bulk_insert(conn, _topics, TOPIC_COLUMNS,
                    ((batch_id, *k, *(int(x) for x in v[:4]), float(v[4])) for k, v in self.topics.items()))


def _day(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)[:10]


def _comments(conn: Connection, batch_id: int) -> Iterator[list[tuple]]:
    """A batch's comments in id order, FETCH at a time (keyset paging: no cursor stays open while the
    caller inserts on the same connection)."""
    last = -1
    while True:
        chunk = conn.execute(
            select(_rows.c.id, _rows.c.comment, _rows.c.language, _rows.c.nps, *(_rows.c[k] for k in KEYS))
            .where(_rows.c.batch_id == batch_id, _rows.c.comment.is_not(None), _rows.c.id > last)
            .order_by(_rows.c.id).limit(FETCH)).all()
        if not chunk:
            return
        yield chunk
        last = chunk[-1][0]


def import_config(conn: Connection) -> TextConfig | None:
    """The config an import analyses its comments with; None for a database still below migration 0010,
    which has nowhere to store them (its comments are analysed by ``text rebuild`` once it is upgraded)."""
    return active_config(conn) if inspect(conn).has_table(_text.name) else None


class Analyses:
    """Comments -> ``_Row``s under one config, each distinct (text, language) analysed once: short CX
    comments repeat a lot. Runs wherever the rows are read: the import's reading process analyses while
    the importing process writes."""

    def __init__(self, config: TextConfig) -> None:
        self.analyzer: TextAnalyzer = analyzer_for(config)
        self.seen: dict[tuple[str | None, str | None], _Row | None] = {}

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
    """The text side of one batch being written: each chunk's analysed comments are stored and counted as
    the chunk is written; ``finish`` writes the rollups (same transaction)."""

    def __init__(self, conn: Connection, batch_id: int, version: int) -> None:
        self.conn, self.batch_id, self.version = conn, batch_id, version
        self.roll = _Rollups()
        self.done = 0

    def store(self, ids: Iterable[int], rows: Iterable[_Row | None]) -> None:
        """Store one chunk's analysed comments (``response_text``) under their response ids."""
        out = [(rid, self.batch_id, *row.stored, self.version) for rid, row in zip(ids, rows, strict=True)
               if row is not None]
        bulk_insert(self.conn, _text, TEXT_COLUMNS, out)
        self.done += len(out)

    def add(self, ids: Iterable[int], keys: Iterable[tuple], nps: Iterable[int | None],
            rows: Iterable[_Row | None]) -> None:
        """Store and count one chunk: response ids, their (day, channel, stage, touchpoint), NPS, analysis."""
        rows = list(rows)
        self.store(ids, rows)
        add = self.roll.add
        for key, score, row in zip(keys, nps, rows, strict=True):
            if row is not None:
                add(key, score, row.label, row.score, row.terms, row.bigrams, row.topics)

    def finish(self) -> int:
        self.roll.write(self.conn, self.batch_id)
        return self.done


def add_batch(conn: Connection, batch_id: int, config: TextConfig | None = None,
              progress: Callable[[int], None] | None = None) -> int:
    """Analyse every stored comment of one batch and add it to the rollups; returns the comments analysed
    (nothing below migration 0010, see ``import_config``). The import analyses as it reads instead."""
    config = import_config(conn) if config is None or not inspect(conn).has_table(_text.name) else config
    if config is None:
        return 0
    analyses = Analyses(config)
    text = BatchText(conn, batch_id, config.version)
    for chunk in _comments(conn, batch_id):
        ids, comments, languages, nps, days, channels, stages, touchpoints = zip(*chunk, strict=True)
        keys = zip(map(_day, days), channels, stages, touchpoints, strict=True)
        text.add(ids, keys, nps, analyses.rows(comments, languages))
        if progress:
            progress(text.done)
    return text.finish()


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


def rebuild_batches(conn: Connection, batch_ids: Iterable[int]) -> None:
    """Recount the rollups of batches whose rows changed individually, from the stored analysis."""
    for batch_id in sorted(set(batch_ids)):
        conn.execute(_terms.delete().where(_terms.c.batch_id == batch_id))
        conn.execute(_topics.delete().where(_topics.c.batch_id == batch_id))
        roll = _Rollups()
        stmt = (select(_text.c.label, _text.c.score, _text.c.terms, _text.c.topics, _rows.c.nps,
                       *(_rows.c[k] for k in KEYS))
                .join(_rows, _rows.c.id == _text.c.response_id).where(_text.c.batch_id == batch_id))
        for label, score, terms, topics, nps, day, ch, st, tp in conn.execute(stmt):
            words = _split(terms)
            pairs = [tuple(t.rsplit(":", 1)) for t in _split(topics)]
            roll.add((_day(day), ch, st, tp), nps, label, score, words,
                     bigrams(words), pairs)
        roll.write(conn, batch_id)


def reanalyse_batch(conn: Connection, batch_id: int, config: TextConfig | None = None,
                    progress: Callable[[int], None] | None = None) -> int:
    """Drop a batch's analysis and analyse it again (a settings change)."""
    for table in (_text, _terms, _topics):
        conn.execute(table.delete().where(table.c.batch_id == batch_id))
    return add_batch(conn, batch_id, config, progress)


def reanalyse(engine: Engine, progress: Progress | None = None, only_stale: bool = False) -> int:
    """Re-analyse every batch with the active settings, one transaction per batch (so readers keep
    seeing a consistent, if older, analysis of the other batches). Returns the comments analysed."""
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
        total = conn.execute(select(func.count()).select_from(_rows).where(
            _rows.c.comment.is_not(None), _rows.c.batch_id.in_(batches))).scalar_one() if batches else 0
    done = 0
    for batch_id in batches:
        with write_transaction(engine) as conn:
            done += reanalyse_batch(conn, batch_id, config, _stepper(progress, done, total, batch_id))
    if progress:
        progress(1.0, "done")
    return done


def _stepper(progress: Progress | None, base: int, total: int, batch_id: int) -> Callable[[int], None] | None:
    """Per-chunk progress of one batch, as a fraction of all comments being re-analysed."""
    if progress is None:
        return None
    return lambda n: progress(min(1.0, (base + n) / max(1, total)), f"batch {batch_id}")
