"""Comments -> the rows stored about them (``_Row``: the ``response_text`` columns and what the rollups count),
each distinct comment analysed once per import (``Analyses``). A module of its own, without SQLAlchemy, so the
helper process (``text.helper_child``) starts fast; ``text.store`` re-exports it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from cem_core.text.analyze import Analysis, TextAnalyzer, analyzer_for
from cem_core.text.dictionaries import TextConfig

MEMO = 100_000  # distinct comments remembered per batch
Memo = dict[tuple[str, str | None], "_Row | None"]
_NEW = object()  # not analysed yet (None is an analysis: a blank comment)


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


@dataclass(frozen=True)
class _Row:
    """One comment's analysis, ready to store and to count."""

    stored: tuple  # lang, label, score, terms, topics, evidence as the columns of response_text hold them
    label: str
    score: float
    terms: list[str]
    bigrams: list[str]
    topics: list[tuple[str, str]]


# json.dumps(..., ensure_ascii=False) builds an encoder on every call (~2 us of each comment's ~40 us): one, kept
_evidence_json = json.JSONEncoder(ensure_ascii=False).encode


def _row(a: Analysis | None) -> _Row | None:
    if a is None:
        return None
    topics = [(m.code, m.label) for m in a.topics]
    stored = (a.lang, a.label, round(a.score, 4), _join(a.terms), _join(f"{c}:{lab}" for c, lab in topics),
              _evidence_json(a.evidence))
    return _Row(stored, a.label, a.score, a.terms, a.bigrams, topics)


def _join(items: Iterable[str]) -> str:
    """"|a|b|": a LIKE '%|a|%' finds a whole term, never a part of another one (a "|" inside one becomes
    "/": looked for in the joined text, as it almost never occurs)."""
    parts = list(items)
    joined = "|".join(parts)
    if joined.count("|") >= len(parts):  # one of them holds a "|"
        joined = "|".join(s.replace("|", "/") for s in parts)
    return "|" + joined + "|" if parts else "|"
