"""A batch's term and topic counts summed with numpy and written as the text rollups (the Text page's four and
the journey map's ``text_touchpoint_cell``): the one counting path of the bulk writers (the import's
``text.store.BatchText`` and the demo's ``demo.text_sums.DemoText``).

Counting each comment with a Python call into dictionaries (``text.store._Rollups.add``, ~35 us a
comment) and expanding the day counters into month cells in Python cost the import ~40 s of its own CPU
per 1M distinct comments, and the counters grew with the days x cells x terms seen (1.8 GB at 1M demo rows,
issue 17). Here a writer hands over a part's responses (day, channel, stage, touchpoint, region, product,
segment, NPS), their comments' label and score, and their term and topic entries (comment index, number,
kind or label, count); the entries are packed into int64 keys and summed with ``pd.factorize`` /
``np.bincount``, ~16 bytes per distinct key. ``finish`` writes the day rollups, the month cells summed from
them, and ``text_touchpoint_cell`` (summed by month directly: its key holds the comment's region, product and
segment, which the day rollups do not). The rows are the ones ``_Rollups`` writes (``tests/text/test_cells.py``
checks every rollup against a direct count of the stored analysis, ``tests/text/test_sums.py`` against
``_Rollups``' recount).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from cem_core.db.bulk import insert_columns
from cem_core.db.models import (
    PLACES,
    TEXT_SENTIMENTS,
    TextTermRollup,
    TextTopicRollup,
    text_term_cell,
    text_topic_cell,
    text_touchpoint_cell,
)
from cem_core.text.packed import BIGRAM, LABEL_CODE, LABELS, NONE, TERM, Packed  # noqa: F401 (Packed, TERM: re-exported)

if LABELS != TEXT_SENTIMENTS:  # label code = slot of the cells' sentiment columns
    raise ImportError("text.packed.LABELS must equal db.models.TEXT_SENTIMENTS")
_DAY, _CELL, _TERM, _TOPIC = 16, 16, 26, 20  # bits of the packed keys: days since 1970, cell, term, topic
_SPOT = 24  # bits of a spot number: (channel, stage, touchpoint, region, product, segment), ``text_touchpoint_cell``
_ID = 21  # bits per number in a triple (channel, stage, touchpoint ids, ...) while its own number is looked up
TERM_MAX = 64  # characters of a term the rollups keep
ALL_TOPICS = "*"  # the topic row every analysed comment counts in
#: the columns of a part's responses that ``TextSums.add`` counts by
COUNTED = ("occurred_date", "channel_id", "stage_id", "touchpoint_id", *PLACES, "nps")


class _Sums:
    """Sums of value columns per int64 key, added part by part: the parts' reduced groups wait in a list
    and are merged once they outgrow what is merged, so the work stays O(n log n) over the load and the
    memory bounded by the distinct keys, not by the rows."""

    def __init__(self, width: int) -> None:
        self.keys = np.zeros(0, dtype=np.int64)
        self.values = np.zeros((0, width))
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        self.pending.append(reduce(keys, values))
        if sum(len(k) for k, _ in self.pending) >= len(self.keys):
            self.merge()

    def merge(self) -> tuple[np.ndarray, np.ndarray]:
        if self.pending:
            self.keys, self.values = reduce(np.concatenate([self.keys, *(k for k, _ in self.pending)]),
                                            np.concatenate([self.values, *(v for _, v in self.pending)]))
            self.pending = []
        return self.keys, self.values


def reduce(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``keys`` (in the order first met) and the sum of each column of ``values`` per key. A hash
    (``pd.factorize``), not a sort (``np.unique``): 1.5x faster on a chunk's keys, 3x on the merged millions."""
    inverse, distinct = pd.factorize(keys)
    summed = np.column_stack([np.bincount(inverse, weights=values[:, i], minlength=len(distinct))
                              for i in range(values.shape[1])]) if len(distinct) else values[:0]
    return distinct, summed


def in_order(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``reduce``'s groups sorted by key, once, before they are written: the rows then lie in the tables in
    date (month) order, so a date range (and an index scan of one kind of term) reads neighbouring pages."""
    order = np.argsort(keys, kind="stable")
    return keys[order], values[order]


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


def _at(values: Sequence[object] | np.ndarray, rows: np.ndarray) -> Sequence[object] | np.ndarray:
    """The values of ``rows`` (positions) of a list or an array."""
    return values[rows] if isinstance(values, np.ndarray) else [values[i] for i in rows.tolist()]


def _month(day: np.ndarray) -> np.ndarray:
    """Days since 1970 -> the first day of their month, as days since 1970."""
    return day.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _triples(known: dict[int, int], a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Each row's number for its (a, b, c) (ints, ``NONE`` blank), numbered as first met in ``known``
    (packed triple -> number): a Python step per distinct triple only."""
    if len(a) and max(a.max(), b.max(), c.max()) >= (1 << _ID) - 1:
        raise ValueError("ids too large for the packed keys")
    triple = ((a + 1) << (2 * _ID)) | ((b + 1) << _ID) | (c + 1)
    distinct, inverse = np.unique(triple, return_inverse=True)
    numbers = np.fromiter((known.setdefault(t, len(known)) for t in distinct.tolist()), dtype=np.int64,
                          count=len(distinct))
    return numbers[inverse]


def _untriples(known: dict[int, int]) -> list[np.ndarray]:
    """The (a, b, c) of each number of ``_triples`` (by number), ``NONE`` blank."""
    packed = np.array(list(known), dtype=np.int64)
    return [((packed >> shift) & ((1 << _ID) - 1)) - 1 for shift in (2 * _ID, _ID, 0)]


def _with_blank(values: np.ndarray) -> np.ndarray:
    """Ints (``NONE`` blank) as objects, None blank: an id column written to the rollups."""
    out = np.empty(len(values), dtype=object)
    out[:] = [None if v == NONE else v for v in values.tolist()]
    return out


def id_array(values: Sequence[int | None] | np.ndarray) -> np.ndarray:
    """Channel, stage or touchpoint ids as int64, ``NONE`` for a blank one."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return values.astype(np.int64)
    return np.fromiter((NONE if v is None else v for v in values), dtype=np.int64, count=len(values))


def day_numbers(values: Sequence[object] | np.ndarray) -> np.ndarray:
    """Dates (ISO text, ``datetime.date`` or datetime64) as days since 1970 (the import allows 1990..today)."""
    out = np.asarray(values).astype("datetime64[D]").astype(np.int64)
    if len(out) and (out.min() < 0 or out.max() >= 1 << _DAY):
        raise ValueError("a date outside 1970..2149 cannot be packed")
    return out


class TextSums:
    """The counts of one batch: ``add`` a part, ``finish`` to write the rollups (the writer's transaction).
    Terms, topics, (channel, stage, touchpoint) cells, regions, products, segments and spots (cell, region,
    product, segment) get numbers as they are first seen."""

    def __init__(self, conn: Connection, batch_id: int) -> None:
        self.conn, self.batch_id = conn, batch_id
        self.terms: dict[str, int] = {}
        self.topics: dict[str, int] = {}
        self.cells: dict[int, int] = {}  # packed (channel, stage, touchpoint) -> cell number
        self.values: tuple[dict[str, int], ...] = tuple({} for _ in PLACES)  # region, product, segment numbers
        self.places: dict[int, int] = {}  # packed (region, product, segment) numbers -> place number
        self.spots: dict[int, int] = {}  # packed (cell, place, 0) -> spot number
        self.term_sums, self.topic_sums, self.place_sums = _Sums(1), _Sums(5), _Sums(2)

    def term_numbers(self, words: Sequence[str]) -> np.ndarray:
        """Each term's number (terms alike in their first ``TERM_MAX`` characters share one)."""
        out = _numbers(self.terms, words, TERM_MAX)
        if len(self.terms) >= 1 << _TERM:
            raise ValueError("too many distinct terms for the packed keys")
        return out

    def topic_numbers(self, codes: Sequence[str]) -> np.ndarray:
        out = _numbers(self.topics, codes, None)
        if len(self.topics) >= 1 << _TOPIC:
            raise ValueError("too many distinct topics for the packed keys")
        return out

    def cell_codes(self, ch: np.ndarray, st: np.ndarray, tp: np.ndarray) -> np.ndarray:
        """Each row's cell number, from its channel, stage and touchpoint ids (``id_array``)."""
        out = _triples(self.cells, ch, st, tp)
        if len(self.cells) >= 1 << _CELL:
            raise ValueError("too many cells for the packed keys")
        return out

    def spot_codes(self, cell: np.ndarray, *where: Sequence[object] | np.ndarray) -> np.ndarray:
        """Each row's spot number (``text_touchpoint_cell``'s key without month and topic), from its cell number
        (``cell_codes``: channel, stage, touchpoint) and its region, product and segment (``where``; None or NaN
        blank)."""
        numbers = [_numbers(known, values, None) for known, values in zip(self.values, where, strict=True)]
        if any(len(known) >= (1 << _ID) - 1 for known in self.values):
            raise ValueError("too many regions, products or segments for the packed keys")
        place = _triples(self.places, *numbers)
        if len(self.places) >= (1 << _ID) - 1:
            raise ValueError("too many (region, product, segment) for the packed keys")
        out = _triples(self.spots, cell, place, np.zeros(len(cell), dtype=np.int64))
        if len(self.spots) >= 1 << _SPOT:
            raise ValueError("too many spots for the packed keys")
        return out

    def add(self, columns: Mapping[str, Sequence[object] | np.ndarray], has: np.ndarray, label: np.ndarray,
            score: np.ndarray, term_entries: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
            topic_entries: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        """One part: ``columns`` holds its responses' ``occurred_date`` (ISO text, date or datetime64),
        ``channel_id``, ``stage_id``, ``touchpoint_id``, ``region``, ``product``, ``segment`` and ``nps``
        (None or NaN blank); ``has`` the positions of those analysed, comment ``i`` below being response
        ``has[i]``. Per comment its ``label`` code and ``score``; ``term_entries`` (comment index, term number,
        kind, count) and ``topic_entries`` (comment index, topic number, label code), with the ``*`` topic of
        every comment among them."""
        at = {c: _at(columns[c], has) for c in COUNTED}
        day = day_numbers(at["occurred_date"])
        st, tp = id_array(at["stage_id"]), id_array(at["touchpoint_id"])
        cell = self.cell_codes(id_array(at["channel_id"]), st, tp)
        spot = self.spot_codes(cell, *(at[c] for c in PLACES))
        nps = np.asarray(at["nps"], dtype=float)  # None -> NaN
        row, term, kind, count = term_entries
        # bigrams are kept by month only (``BIGRAM``): counted under their month's first day, fewer keys to sum
        when = np.where(kind == BIGRAM, _month(day[row]), day[row])
        self.term_sums.add(_pack((when, _DAY), (cell[row], _CELL), (label[row], 2), (kind, 2), (term, _TERM)),
                           count.astype(float)[:, None])
        row, topic, topic_label = topic_entries
        known = ~np.isnan(nps)
        measures = np.column_stack([np.ones(len(day)), known, known & (nps >= 9), known & (nps <= 6), score])
        self.topic_sums.add(_pack((day[row], _DAY), (cell[row], _CELL), (topic, _TOPIC), (topic_label, 2)),
                            measures[row])
        # text_touchpoint_cell: '*' counts the comment and whether it is negative, a topic its negative clauses
        star = topic == self.topic_numbers([ALL_TOPICS])[0]
        negative = topic_label == LABEL_CODE["negative"]
        keep = star | negative
        row = row[keep]
        self.place_sums.add(_pack((_month(day[row]), _DAY), (spot[row], _SPOT), (topic[keep], _TOPIC)),
                            np.column_stack([star[keep], negative[keep]]).astype(float))

    def finish(self) -> None:
        """Write the day rollups, the month cells and ``text_touchpoint_cell`` of everything added."""
        cells = np.empty((len(self.cells), 3), dtype=object)
        for i, part in enumerate(_untriples(self.cells)):
            cells[:, i] = _with_blank(part)
        terms = np.array(list(self.terms), dtype=object)
        topics = np.array(list(self.topics), dtype=object)
        labels = np.array(LABELS, dtype=object)

        def keys(day: np.ndarray, cell: np.ndarray) -> dict[str, np.ndarray]:
            return {"batch_id": np.full(len(day), self.batch_id), "occurred_date": day.astype("datetime64[D]"),
                    **{c: cells[cell, i] for i, c in enumerate(("channel_id", "stage_id", "touchpoint_id"))}}

        key, value = in_order(*self.term_sums.merge())
        day, cell, label, kind, term = _unpack(key, _DAY, _CELL, 2, 2, _TERM)
        daily = kind != BIGRAM  # the day rollups hold terms only (see ``BIGRAM``)
        insert_columns(self.conn, TextTermRollup.__table__, {
            **keys(day[daily], cell[daily]), "sentiment": labels[label[daily]], "kind": kind[daily],
            "term": terms[term[daily]], "n": value[daily, 0].astype(np.int64)})
        slots = np.zeros((len(key), 3))
        slots[np.arange(len(key)), label] = value[:, 0]
        ckey, csum = in_order(*reduce(_pack((_month(day), _DAY), (cell, _CELL), (kind, 2), (term, _TERM)), slots))
        mday, mcell, mkind, mterm = _unpack(ckey, _DAY, _CELL, 2, _TERM)
        insert_columns(self.conn, text_term_cell, {
            **_month_keys(keys(mday, mcell)), "kind": mkind, "term": terms[mterm],
            **{s: csum[:, i].astype(np.int64) for i, s in enumerate(LABELS)}})

        key, value = in_order(*self.topic_sums.merge())
        day, cell, topic, label = _unpack(key, _DAY, _CELL, _TOPIC, 2)
        insert_columns(self.conn, TextTopicRollup.__table__, {
            **keys(day, cell), "topic": topics[topic], "sentiment": labels[label],
            **{c: value[:, i].astype(np.int64) for i, c in enumerate(("n", "nps_n", "promoters", "detractors"))},
            "score_sum": value[:, 4]})
        slots = np.zeros((len(key), 3))
        slots[np.arange(len(key)), label] = value[:, 0]
        ckey, csum = in_order(*reduce(_pack((_month(day), _DAY), (cell, _CELL), (topic, _TOPIC)),
                                      np.column_stack([slots, value[:, 1:]])))
        mday, mcell, mtopic = _unpack(ckey, _DAY, _CELL, _TOPIC)
        insert_columns(self.conn, text_topic_cell, {
            **_month_keys(keys(mday, mcell)), "topic": topics[mtopic],
            **{c: csum[:, i].astype(np.int64) for i, c in enumerate((*LABELS, "nps_n", "promoters", "detractors"))},
            "score_sum": csum[:, 6]})

        key, value = in_order(*self.place_sums.merge())
        mday, spot, topic = _unpack(key, _DAY, _SPOT, _TOPIC)
        cell, place, _ = (part[spot] for part in _untriples(self.spots))
        insert_columns(self.conn, text_touchpoint_cell, {
            "batch_id": np.full(len(key), self.batch_id), "month": mday.astype("datetime64[D]"),
            **{c: cells[cell, i] for i, c in enumerate(("channel_id", "stage_id", "touchpoint_id"))},
            **{c: np.array([*known, None], dtype=object)[part[place]]  # NONE (-1): the trailing None
               for c, known, part in zip(PLACES, self.values, _untriples(self.places), strict=True)},
            "topic": topics[topic], "comments": value[:, 0].astype(np.int64), "negative": value[:, 1].astype(np.int64)})


def _numbers(known: dict[str, int], values: Sequence[str | None] | np.ndarray, width: int | None) -> np.ndarray:
    """Each value's number in ``known`` (new values numbered as met), ``NONE`` for None or NaN: a Python step
    per distinct value only."""
    codes, distinct = pd.factorize(np.array(values, dtype=object))
    numbers = np.fromiter((known.setdefault(v[:width], len(known)) for v in distinct.tolist()), dtype=np.int64,
                          count=len(distinct))
    return np.append(numbers, NONE)[codes]  # code -1 (blank): the appended NONE


def _month_keys(day_keys: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = dict(day_keys)
    out["month"] = out.pop("occurred_date")
    return out
