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
from cem_core.text.trie import trie_pattern

_RANK = {"negative": 0, "neutral": 1, "positive": 2}


def _pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """English keywords as whole words, Chinese ones anywhere; both as tries (``cem_core.text.trie``)."""
    words = {w.lower() for w in words if w}
    if not words:
        return None
    en = [w for w in words if w.isascii()]
    zh = [w for w in words if not w.isascii()]
    parts = ([rf"(?<![a-z])(?:{trie_pattern(en)})(?![a-z])"] if en else []) + ([trie_pattern(zh)] if zh else [])
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
        low = text.lower()
        found: dict[str, int] = {}
        for m in self.pattern.finditer(low):
            found.setdefault(m.group(0), m.start())
        if not found:
            return []
        hits: dict[int, str] = {}
        for kw in found:
            for i in self.by_keyword.get(kw, ()):
                hits.setdefault(i, kw)
        out: list[TopicMatch] = []
        for i in sorted(hits):
            if self.all_of[i] and not all(k in found for k in self.all_of[i]):
                continue
            if any(k in found for k in self.not_of[i]):
                continue
            out.append(TopicMatch(self.rules[i].code, self._clause_label(low, hits[i], verdict), hits[i]))
        have = {m.code for m in out}
        for m in list(out):
            parent = self.by_code[m.code].parent
            if parent and parent not in have:
                siblings = [x for x in out if self.by_code[x.code].parent == parent]
                worst = min(siblings, key=lambda x: _RANK[x.label])
                out.append(TopicMatch(parent, worst.label, worst.keyword))
                have.add(parent)
        return out

    @staticmethod
    def _clause_label(low: str, keyword: str, verdict: Verdict | None) -> str:
        """The sentiment of the clause naming the topic; a clause with no sentiment of its own (e.g.
        "前台办理入住，等了四十分钟") takes the comment's."""
        if verdict is None:
            return "neutral"
        for c in verdict.clauses:
            if keyword in c.text.lower() and c.score != 0:
                return label_of(c.score)
        return verdict.label


def suggest_topics(term_counts: Counter[str] | dict[str, int], taxonomy: Taxonomy, top: int = 20,
                   min_count: int = 3) -> list[tuple[str, int]]:
    """Frequent terms no topic covers yet, for an admin to adopt as keywords or new topics."""
    ranked = sorted(term_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(t, n) for t, n in ranked if n >= min_count and not taxonomy.covers(t)][:top]


def taxonomy_for(config: TextConfig) -> Taxonomy:
    return Taxonomy(config.topics)
