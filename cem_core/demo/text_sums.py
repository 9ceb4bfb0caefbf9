"""The demo's comments stored and counted with numpy: ``text.store.BatchText``'s rows, in bulk.

The demo's comments come from a catalogue (a few hundred distinct texts per industry), so each distinct
(comment, language) is analysed once (``text.store.Analyses``) and every response refers to it by number.
``BatchText`` then spends a Python call per comment (``_Rollups.add``: ~35 us) and keeps its term counters
in dictionaries that grow with the days x cells x terms seen (1.8 GB at 1M rows, issue 17); here a part's
comments are expanded to (key, count) arrays by their analysis number and summed with ``np.unique`` /
``np.bincount`` into sorted int64 keys: the same rows of ``response_text`` and of the text rollups
(the Text page's four and the journey map's ``text_touchpoint_cell``; ``tests/text/test_cells.py`` checks them
against the stored analysis), at ~16 bytes per distinct key.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from cem_core.db.bulk import insert_columns
from cem_core.db.models import (
    TEXT_SENTIMENTS,
    ResponseText,
    TextTermRollup,
    TextTopicRollup,
    text_term_cell,
    text_topic_cell,
    text_touchpoint_cell,
)
from cem_core.text import store

_LABELS = TEXT_SENTIMENTS  # label code = slot of the cells' sentiment columns
_DAY, _CELL, _TERM, _TOPIC = 16, 16, 26, 20  # bits of the packed keys: days since 1970, cell, term, topic
_SPOT = 24  # bits of a (stage, touchpoint, region, product, segment) number (``text_touchpoint_cell``)
_SPOT_KEYS = ("stage_id", "touchpoint_id", *store.PLACE)


class _Sums:
    """Sums of value columns per int64 key, added part by part: the parts' reduced groups wait in a list
    and are merged once they outgrow what is merged, so the work stays O(n log n) over the load and the
    memory bounded by the distinct keys, not by the rows."""

    def __init__(self, width: int) -> None:
        self.keys = np.zeros(0, dtype=np.int64)
        self.values = np.zeros((0, width))
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        self.pending.append(_reduce(keys, values))
        if sum(len(k) for k, _ in self.pending) >= len(self.keys):
            self.merge()

    def merge(self) -> tuple[np.ndarray, np.ndarray]:
        if self.pending:
            self.keys, self.values = _reduce(np.concatenate([self.keys, *(k for k, _ in self.pending)]),
                                             np.concatenate([self.values, *(v for _, v in self.pending)]))
            self.pending = []
        return self.keys, self.values


def _reduce(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    distinct, inverse = np.unique(keys, return_inverse=True)
    summed = np.column_stack([np.bincount(inverse, weights=values[:, i], minlength=len(distinct))
                              for i in range(values.shape[1])]) if len(distinct) else values[:0]
    return distinct, summed


def _pack(*fields: tuple[np.ndarray, int]) -> np.ndarray:
    key = np.zeros(len(fields[0][0]), dtype=np.int64)
    for value, bits in fields:
        key = (key << bits) | value.astype(np.int64)
    return key


def _unpack(key: np.ndarray, *bits: int) -> list[np.ndarray]:
    out = []
    for width in reversed(bits):
        out.append(key & ((1 << width) - 1))
        key = key >> width
    return out[::-1]


class DemoText:
    """The text side of one demo batch: ``add`` stores each part's analysed comments and sums their counts;
    ``finish`` writes the rollups (the writer's transaction, like ``text.store.BatchText``)."""

    def __init__(self, conn: Connection, batch_id: int, analyses: store.Analyses) -> None:
        self.conn, self.batch_id, self.analyses = conn, batch_id, analyses
        self.version = analyses.analyzer.config.version
        self.number: dict[tuple[str, str | None], int] = {}  # (comment, language) -> analysis number
        self.rows: list[store._Row | None] = []
        self.terms: dict[str, int] = {}
        self.topics: dict[str, int] = {}
        self.cells: dict[tuple[int, int, int], int] = {}
        self.spots: dict[tuple, int] = {}
        self.term_sums, self.topic_sums, self.place_sums = _Sums(1), _Sums(5), _Sums(2)
        self._tables: dict[str, np.ndarray] = {}

    def _numbers(self, comments: np.ndarray, languages: np.ndarray) -> np.ndarray:
        """Each comment's analysis number; new distinct comments are analysed now."""
        c_codes, c_values = pd.factorize(comments)
        l_codes, l_values = pd.factorize(languages, use_na_sentinel=False)
        pair_codes, pairs = pd.factorize(c_codes * len(l_values) + l_codes)
        keys = [(c_values[p // len(l_values)], l_values[p % len(l_values)]) for p in pairs.tolist()]
        keys = [(c, None if pd.isna(lang) else lang) for c, lang in keys]
        new = [k for k in keys if k not in self.number]
        if new:
            for key, row in zip(new, self.analyses.rows(*zip(*new, strict=True)), strict=True):
                self.number[key] = len(self.rows)
                self.rows.append(row)
            self._tables = self._build_tables()
        return np.array([self.number[k] for k in keys], dtype=np.int64)[pair_codes]

    def _build_tables(self) -> dict[str, np.ndarray]:
        """Per analysis number: its stored columns, label, score, and its term and topic entries (CSR)."""
        t: dict[str, list] = {"ok": [], "label": [], "score": [], "term_len": [], "topic_len": []}
        stored: list[tuple] = []
        entries: list[tuple[int, int, int]] = []  # term number, kind, count
        topics: list[tuple[int, int]] = []  # topic number, label code
        for row in self.rows:
            t["ok"].append(row is not None)
            if row is None:
                stored.append((None,) * 6)
                t["label"].append(0)
                t["score"].append(0.0)
                t["term_len"].append(0)
                t["topic_len"].append(0)
                continue
            stored.append(row.stored)
            t["label"].append(_LABELS.index(row.label))
            t["score"].append(row.score)
            mine = 0
            for kind, words in ((1, row.terms), (2, row.bigrams)):
                for word, n in pd.Series(words, dtype=object).value_counts(sort=False).items():
                    entries.append((self.terms.setdefault(word[:store.TERM_MAX], len(self.terms)), kind, int(n)))
                    mine += 1
            t["term_len"].append(mine)
            mine_topics = [(store.ALL_TOPICS, row.label), *row.topics]
            topics += [(self.topics.setdefault(code, len(self.topics)), _LABELS.index(lab))
                       for code, lab in mine_topics]
            t["topic_len"].append(len(mine_topics))
        out = {k: np.array(v) for k, v in t.items()}
        out["stored"] = np.empty((len(stored), 6), dtype=object)
        out["stored"][:] = stored
        out["term_entry"] = np.array(entries, dtype=np.int64).reshape(-1, 3)
        out["topic_entry"] = np.array(topics, dtype=np.int64).reshape(-1, 2)
        for name in ("term", "topic"):
            out[f"{name}_at"] = np.cumsum(out[f"{name}_len"]) - out[f"{name}_len"]
        if len(self.terms) >= 1 << _TERM or len(self.topics) >= 1 << _TOPIC:
            raise ValueError("too many distinct terms for the packed keys")
        return out

    def _cell_codes(self, ch: np.ndarray, st: np.ndarray, tp: np.ndarray) -> np.ndarray:
        codes, triples = pd.factorize(pd.MultiIndex.from_arrays([ch, st, tp]))
        numbers = [self.cells.setdefault(tuple(int(x) for x in trip), len(self.cells)) for trip in triples]
        if len(self.cells) >= 1 << _CELL:
            raise ValueError("too many cells for the packed keys")
        return np.array(numbers, dtype=np.int64)[codes]

    def _spot_codes(self, columns: Mapping[str, np.ndarray], has: np.ndarray) -> np.ndarray:
        """Each comment's (stage, touchpoint, region, product, segment) as a number (None kept)."""
        codes, spots = pd.factorize(pd.MultiIndex.from_arrays([columns[c][has] for c in _SPOT_KEYS]))
        numbers = [self.spots.setdefault(tuple(None if pd.isna(x) else x for x in spot), len(self.spots))
                   for spot in spots]
        if len(self.spots) >= 1 << _SPOT:
            raise ValueError("too many cells for the packed keys")
        return np.array(numbers, dtype=np.int64)[codes]

    def add(self, columns: Mapping[str, np.ndarray]) -> None:
        """One written part: ``id``, ``occurred_date`` (datetime64[D]), ``channel_id``, ``stage_id``,
        ``touchpoint_id``, ``region``, ``product``, ``segment``, ``nps`` (float, NaN blank), ``comment`` and
        ``language`` (object, None blank)."""
        has = np.flatnonzero(np.not_equal(columns["comment"], None))
        number = self._numbers(columns["comment"][has], columns["language"][has])
        tab = self._tables
        keep = tab["ok"][number]
        has, number = has[keep], number[keep]
        if not len(has):
            return
        stored = tab["stored"][number]
        insert_columns(self.conn, ResponseText.__table__, {
            "response_id": columns["id"][has], "batch_id": np.full(len(has), self.batch_id),
            **{c: stored[:, i] for i, c in enumerate(store.TEXT_COLUMNS[2:-1]) if c != "score"},
            "score": stored[:, 2].astype(float), "version": np.full(len(has), self.version)})
        day = columns["occurred_date"][has].astype("datetime64[D]").astype(np.int64)
        cell = self._cell_codes(*(columns[c][has] for c in ("channel_id", "stage_id", "touchpoint_id")))
        label = tab["label"][number]
        nps = columns["nps"][has].astype(float)
        # terms: one entry per comment and distinct term of its analysis
        at, n = tab["term_at"][number], tab["term_len"][number]
        row = np.repeat(np.arange(len(has)), n)
        entry = tab["term_entry"][np.repeat(at - (np.cumsum(n) - n), n) + np.arange(n.sum())]
        self.term_sums.add(_pack((day[row], _DAY), (cell[row], _CELL), (label[row], 2), (entry[:, 1], 2),
                                 (entry[:, 0], _TERM)), entry[:, 2:3].astype(float))
        # topics: '*' with the comment's label, then each topic with its clause's label
        at, n = tab["topic_at"][number], tab["topic_len"][number]
        row = np.repeat(np.arange(len(has)), n)
        entry = tab["topic_entry"][np.repeat(at - (np.cumsum(n) - n), n) + np.arange(n.sum())]
        known = ~np.isnan(nps)
        measures = np.column_stack([np.ones(len(has)), known, known & (nps >= 9), known & (nps <= 6),
                                    tab["score"][number]])
        self.topic_sums.add(_pack((day[row], _DAY), (cell[row], _CELL), (entry[:, 0], _TOPIC), (entry[:, 1], 2)),
                            measures[row])
        # text_touchpoint_cell: '*' counts the comment and whether it is negative, a topic its negative clauses
        negative = entry[:, 1] == _LABELS.index("negative")
        star = entry[:, 0] == self.topics[store.ALL_TOPICS]
        keep = star | negative
        spot = self._spot_codes(columns, has)[row[keep]]
        self.place_sums.add(_pack((_month(day[row[keep]]), _DAY), (spot, _SPOT), (entry[keep, 0], _TOPIC)),
                            np.column_stack([star[keep], negative[keep]]).astype(float))

    def finish(self) -> None:
        """Write the day rollups and the month cells of everything added."""
        cells = np.array(list(self.cells), dtype=np.int64).reshape(-1, 3)
        terms = np.array(list(self.terms), dtype=object)
        topics = np.array(list(self.topics), dtype=object)
        labels = np.array(_LABELS, dtype=object)

        def keys(day: np.ndarray, cell: np.ndarray) -> dict[str, np.ndarray]:
            return {"batch_id": np.full(len(day), self.batch_id), "occurred_date": day.astype("datetime64[D]"),
                    **{c: cells[cell, i] for i, c in enumerate(("channel_id", "stage_id", "touchpoint_id"))}}

        month = _month

        key, value = self.term_sums.merge()
        day, cell, label, kind, term = _unpack(key, _DAY, _CELL, 2, 2, _TERM)
        insert_columns(self.conn, TextTermRollup.__table__, {
            **keys(day, cell), "sentiment": labels[label], "kind": kind, "term": terms[term],
            "n": value[:, 0].astype(np.int64)})
        slots = np.zeros((len(key), 3))
        slots[np.arange(len(key)), label] = value[:, 0]
        ckey, csum = _reduce(_pack((month(day), _DAY), (cell, _CELL), (kind, 2), (term, _TERM)), slots)
        mday, mcell, mkind, mterm = _unpack(ckey, _DAY, _CELL, 2, _TERM)
        insert_columns(self.conn, text_term_cell, {
            **_month_keys(keys(mday, mcell)), "kind": mkind, "term": terms[mterm],
            **{s: csum[:, i].astype(np.int64) for i, s in enumerate(_LABELS)}})

        key, value = self.topic_sums.merge()
        day, cell, topic, label = _unpack(key, _DAY, _CELL, _TOPIC, 2)
        insert_columns(self.conn, TextTopicRollup.__table__, {
            **keys(day, cell), "topic": topics[topic], "sentiment": labels[label],
            **{c: value[:, i].astype(np.int64) for i, c in enumerate(("n", "nps_n", "promoters", "detractors"))},
            "score_sum": value[:, 4]})
        slots = np.zeros((len(key), 3))
        slots[np.arange(len(key)), label] = value[:, 0]
        ckey, csum = _reduce(_pack((month(day), _DAY), (cell, _CELL), (topic, _TOPIC)),
                             np.column_stack([slots, value[:, 1:]]))
        mday, mcell, mtopic = _unpack(ckey, _DAY, _CELL, _TOPIC)
        insert_columns(self.conn, text_topic_cell, {
            **_month_keys(keys(mday, mcell)), "topic": topics[mtopic],
            **{c: csum[:, i].astype(np.int64) for i, c in enumerate((*_LABELS, "nps_n", "promoters", "detractors"))},
            "score_sum": csum[:, 6]})

        key, value = self.place_sums.merge()
        mday, spot, topic = _unpack(key, _DAY, _SPOT, _TOPIC)
        spots = np.array(list(self.spots), dtype=object).reshape(-1, len(_SPOT_KEYS))
        insert_columns(self.conn, text_touchpoint_cell, {
            "batch_id": np.full(len(key), self.batch_id), "month": mday.astype("datetime64[D]"),
            **{c: _ints(spots[spot, i]) if c.endswith("_id") else spots[spot, i] for i, c in enumerate(_SPOT_KEYS)},
            "topic": topics[topic], "comments": value[:, 0].astype(np.int64), "negative": value[:, 1].astype(np.int64)})


def _month(day: np.ndarray) -> np.ndarray:
    """Days since 1970 -> the first day of their month, as days since 1970."""
    return day.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _ints(values: np.ndarray) -> np.ndarray:
    """An id column of the spots: int64 when none is blank (Postgres' binary COPY path), else objects."""
    return values.astype(np.int64) if all(v is not None for v in values) else values


def _month_keys(day_keys: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = dict(day_keys)
    out["month"] = out.pop("occurred_date")
    return out
