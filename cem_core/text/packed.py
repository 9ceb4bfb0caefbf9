"""A chunk's analysed comments packed as the counting needs them (``Packed``), built on the core that analysed
them. A module of its own, importing numpy and pandas only, so the helper process (``text.helper_child``) starts
without SQLAlchemy, pyarrow and the models (~2.7 s -> ~1 s of an import's start, while the importer waited)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

LABELS = ("positive", "neutral", "negative")  # label code = slot of the cells' sentiment columns (text.sums)
LABEL_CODE = {s: i for i, s in enumerate(LABELS)}
NONE = -1  # a blank channel, stage or touchpoint id (or region, product, segment) in the arrays
# Bigrams (term kind 2) go to the month cells only, never to the day rollups: they were 60 % of the ~8M day rows
# of 1M distinct comments (~9 s of a 1M import's rollup inserts and index rebuilds). A date range's partial
# months read their bigrams from the comments' stored terms (``text.report.term_counts``).
TERM, BIGRAM = 1, 2


@dataclass
class Packed:
    """A chunk's analysed comments as the counting needs them, built where they were analysed (the helper
    process packs its share: the importer then unpickles a few arrays and lists, not an object per term,
    and spends no Python step per comment on the counting). Comment ``i`` is the chunk's i-th comment."""

    stored: list[tuple | None]  # the response_text columns (lang .. evidence); None: nothing to store
    label: np.ndarray  # label code, -1 where None
    score: np.ndarray
    words: list[str]  # the terms and bigrams met (a list: parts concatenated may repeat one)
    term: np.ndarray  # entries (comment, index into words, kind 1 term / 2 bigram), one per occurrence
    codes: list[str]  # the topic codes met
    topic: np.ndarray  # entries (comment, index into codes, label code of the clause naming it)

    def __len__(self) -> int:
        """Comments in the chunk (analysed or not)."""
        return len(self.stored)

    def __getstate__(self) -> dict[str, Any]:
        """What goes through the helper's pipe: the entries as narrow columns, their comment column as counts per
        comment (the entries run in comment order), label codes as int8. A 25k-comment share was 16.4 MB as
        int64 rows, 9.2 MB of it the term entries: the helper's writer thread took the GIL back every 64 KB
        of pipe, and the importer unpickled it while blocked. ``__setstate__`` gives back the same arrays."""
        k = len(self.stored)
        return {"stored": self.stored, "label": self.label.astype(np.int8), "score": self.score, "words": self.words,
                "term": _entries_out(self.term, k), "codes": self.codes, "topic": _entries_out(self.topic, k)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.stored, self.score, self.words, self.codes = (state[k] for k in ("stored", "score", "words", "codes"))
        self.label = state["label"].astype(np.int64)
        self.term, self.topic = _entries_in(state["term"]), _entries_in(state["topic"])

    @staticmethod
    def of(rows: Sequence[Any]) -> Packed:
        """Pack ``store._Row``s (or None): one Python pass over the rows into flat lists, then numpy and one
        hash of the words (half the time of a pass per field: ~10 of a comment's ~55 us in the import)."""
        k = len(rows)
        stored: list[tuple | None] = []
        label, score, found, n_terms, n_bigrams, topic_codes, topic_labels, n_topics = [], [], [], [], [], [], [], []
        for r in rows:
            if r is None:
                stored.append(None)
                label.append(NONE)
                score.append(0.0)
                n_terms.append(0)
                n_bigrams.append(0)
                n_topics.append(0)
                continue
            stored.append(r.stored)
            label.append(LABEL_CODE[r.label])
            score.append(r.score)
            found += r.terms
            found += r.bigrams
            n_terms.append(len(r.terms))
            n_bigrams.append(len(r.bigrams))
            n_topics.append(len(r.topics))
            for code, lab in r.topics:
                topic_codes.append(code)
                topic_labels.append(LABEL_CODE[lab])
        codes, words = pd.factorize(np.array(found, dtype=object))
        counts = np.column_stack([n_terms, n_bigrams]).reshape(-1) if k else np.zeros(0, dtype=np.int64)
        comment = np.repeat(np.repeat(np.arange(k), 2), counts)  # each comment's terms, then its bigrams
        kind = np.repeat(np.tile([TERM, BIGRAM], k), counts)
        tcodes, topics = pd.factorize(np.array(topic_codes, dtype=object))
        return Packed(stored, np.array(label, dtype=np.int64), np.array(score, dtype=float), words.tolist(),
                      np.column_stack([comment, codes, kind]).astype(np.int64).reshape(-1, 3), topics.tolist(),
                      np.column_stack([np.repeat(np.arange(k), n_topics), tcodes, topic_labels]).astype(np.int64)
                      .reshape(-1, 3))

    @staticmethod
    def concat(parts: Sequence[Packed]) -> Packed:
        """The parts one after the other (a chunk's helper share, then the rest)."""
        if len(parts) == 1:
            return parts[0]
        stored, words, codes, terms, topics, at = [], [], [], [], [], 0
        for p in parts:
            terms.append(p.term + np.array([at, len(words), 0]))
            topics.append(p.topic + np.array([at, len(codes), 0]))
            stored += p.stored
            words += p.words
            codes += p.codes
            at += len(p.stored)
        return Packed(stored, np.concatenate([p.label for p in parts]), np.concatenate([p.score for p in parts]),
                      words, np.concatenate(terms).reshape(-1, 3), codes, np.concatenate(topics).reshape(-1, 3))

    def take(self, keep: Sequence[int]) -> Packed:
        """Only the comments ``keep`` (ascending), renumbered from 0."""
        pos = np.full(len(self.stored), NONE)
        pos[np.asarray(keep, dtype=np.int64)] = np.arange(len(keep))
        term, topic = self.term[pos[self.term[:, 0]] >= 0], self.topic[pos[self.topic[:, 0]] >= 0]
        term[:, 0], topic[:, 0] = pos[term[:, 0]], pos[topic[:, 0]]
        return Packed([self.stored[i] for i in keep], self.label[keep], self.score[keep], self.words, term,
                      self.codes, topic)


def _entries_out(entries: np.ndarray, k: int) -> tuple:
    """Entries (comment, index, code) of ``k`` comments in a compact form for pickling: ("runs", entries per
    comment, indexes as int32, codes as int8) when in comment order and small enough, else the rows as they are."""
    comment, index, code = entries[:, 0], entries[:, 1], entries[:, 2]
    narrow = (not len(entries) or (index.min() >= 0 and index.max() < 1 << 31 and code.min() >= -128
                                   and code.max() < 128 and comment.min() >= 0 and comment.max() < k))
    if not narrow or (len(entries) > 1 and bool(np.any(np.diff(comment) < 0))):
        return ("rows", entries)
    return ("runs", np.bincount(comment, minlength=k).astype(np.int32), index.astype(np.int32), code.astype(np.int8))


def _entries_in(state: tuple) -> np.ndarray:
    if state[0] == "rows":
        return state[1]
    _, counts, index, code = state
    comment = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    return np.column_stack([comment, index.astype(np.int64), code.astype(np.int64)]).reshape(-1, 3)
