"""Topics from an editable two-level taxonomy, each match with the sentiment of the clause that names it.

A topic (``TopicRule``) matches a comment that contains ANY of its keywords (zh as substrings, en as
whole words, case-insensitive), ALL of its ``all`` keywords and NONE of its ``not`` keywords. A comment
can match several topics. A level-2 match also counts for its level-1 parent (once per comment), so
"服务 > 前台效率" rolls up into "服务" without double counting.

Every keyword of every topic goes into one regular expression, so a comment is scanned once however
large the taxonomy (a substring test per keyword would cost ~200 scans per comment at 1M comments).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from cem_core.text.dictionaries import TextConfig, TopicRule
from cem_core.text.sentiment import Verdict, label_of
from cem_core.text.trie import trie_branches

_RANK = {"negative": 0, "neutral": 1, "positive": 2}
SHAPE_MEMO = 100_000  # distinct keyword combinations whose topics are remembered


def _pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """English keywords as whole words, Chinese ones anywhere; both as tries (``cem_core.text.trie``).

    It means ``(?<![a-z])(?:EN)(?![a-z])|ZH``, written as one branch per first character,
    ``c(?:(?<![a-z].)EN_c(?![a-z])|ZH_c)``, so every branch opens with a plain character and ``re`` skips
    the positions where no keyword starts (the lookbehind moved past ``c`` looks one further back)."""
    words = {w.lower() for w in words if w}
    if not words:
        return None
    en = trie_branches(w for w in words if w.isascii())
    zh = trie_branches(w for w in words if not w.isascii())
    parts = []
    for ch in sorted(en.keys() | zh.keys()):
        alts = ([f"(?<![a-z].){en[ch]}(?![a-z])"] if ch in en else []) + ([zh[ch]] if ch in zh else [])
        parts.append(re.escape(ch) + (alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"))
    return re.compile("|".join(parts))


@dataclass
class TopicMatch:
    code: str
    label: str  # sentiment of the clause that names the topic (else of the comment)
    keyword: str


class Taxonomy:
    """The compiled taxonomy of one ``TextConfig``."""

    def __init__(self, rules: Iterable[TopicRule]) -> None:
        self.rules = list(rules)
        self.by_code = {r.code: r for r in self.rules}
        self.children: dict[str, list[str]] = {}
        for r in self.rules:
            if r.parent:
                self.children.setdefault(r.parent, []).append(r.code)
        self.pattern = _pattern(w for r in self.rules for w in (*r.any_of, *r.all_of, *r.not_of))
        self.keywords = {w.lower() for r in self.rules for w in r.any_of}
        self.by_keyword: dict[str, list[int]] = {}  # keyword -> rules it can trigger (index order)
        for i, r in enumerate(self.rules):
            for k in dict.fromkeys(w.lower() for w in r.any_of):
                self.by_keyword.setdefault(k, []).append(i)
        self.all_of = [tuple(k.lower() for k in r.all_of) for r in self.rules]
        # keywords found (in order) -> ``_shape``: comments name a few hundred combinations of keywords
        self._shapes: dict[tuple[str, ...], tuple[list[tuple[str, str]], list[tuple[str, list[int]]]]] = {}
        self.not_of = [tuple(k.lower() for k in r.not_of) for r in self.rules]

    def names(self, lang: str) -> dict[str, str]:
        return {r.code: r.name_zh if lang == "zh" else r.name_en for r in self.rules}

    def covers(self, term: str) -> bool:
        """Whether a term is already a topic keyword or contains one (for suggesting new topics)."""
        t = term.lower()
        return t in self.keywords or any(k in t for k in self.keywords if len(k) > 1)

    def match(self, text: str, verdict: Verdict | None = None) -> list[TopicMatch]:
        """Topics of one comment, level-2 first then their parents, with per-topic sentiment."""
        if self.pattern is None or not text:
            return []
        found = tuple(dict.fromkeys(self.pattern.findall(text.lower())))  # keywords in order of first mention
        if not found:
            return []
        shape = self._shapes.get(found)
        if shape is None:
            shape = self._shape(found)
            if len(self._shapes) >= SHAPE_MEMO:
                self._shapes.clear()
            self._shapes[found] = shape
        direct, parents = shape
        labels = _ClauseLabels(verdict)
        out = [TopicMatch(code, labels(kw), kw) for code, kw in direct]
        for code, siblings in parents:
            worst = min((out[j] for j in siblings), key=_rank)
            out.append(TopicMatch(code, worst.label, worst.keyword))
        return out

    def _shape(self, found: tuple[str, ...]) -> tuple[list[tuple[str, str]], list[tuple[str, list[int]]]]:
        """Which topics the keywords ``found`` (in order of mention) give, before any sentiment: the
        matched rules as (code, the keyword that named it) in taxonomy order, then each parent to add
        as (code, positions of its matched children, the worst of which lends it label and keyword)."""
        hits: dict[int, str] = {}
        for kw in found:
            for i in self.by_keyword.get(kw, ()):
                hits.setdefault(i, kw)
        direct = []
        for i in sorted(hits):
            if self.all_of[i] and not all(k in found for k in self.all_of[i]):
                continue
            if any(k in found for k in self.not_of[i]):
                continue
            direct.append((self.rules[i].code, hits[i]))
        codes = [code for code, _kw in direct]
        have = set(codes)
        parents = []
        for code in codes[:]:
            parent = self.by_code[code].parent
            if parent and parent not in have:
                parents.append((parent, [j for j, c in enumerate(codes) if self.by_code[c].parent == parent]))
                codes.append(parent)
                have.add(parent)
        return direct, parents


def _rank(m: TopicMatch) -> int:
    return _RANK[m.label]


class _ClauseLabels:
    """keyword -> the sentiment of the first clause naming it that has a sentiment of its own; a clause
    with none (e.g. "前台办理入住，等了四十分钟") leaves the comment's. Clause texts are lower-cased once
    per comment, on the first keyword asked about."""

    def __init__(self, verdict: Verdict | None) -> None:
        self.verdict = verdict
        self.clauses: list[tuple[str, float]] | None = None

    def __call__(self, keyword: str) -> str:
        verdict = self.verdict
        if verdict is None:
            return "neutral"
        if self.clauses is None:
            self.clauses = [(c.text.lower(), c.score) for c in verdict.clauses]
        for text, score in self.clauses:
            if keyword in text and score != 0:
                return label_of(score)
        return verdict.label


def suggest_topics(term_counts: Counter[str] | dict[str, int], taxonomy: Taxonomy, top: int = 20,
                   min_count: int = 3) -> list[tuple[str, int]]:
    """Frequent terms no topic covers yet, for an admin to adopt as keywords or new topics."""
    ranked = sorted(term_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(t, n) for t, n in ranked if n >= min_count and not taxonomy.covers(t)][:top]


def taxonomy_for(config: TextConfig) -> Taxonomy:
    return Taxonomy(config.topics)
