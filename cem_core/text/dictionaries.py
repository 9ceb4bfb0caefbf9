"""The text dictionaries: user words, stop words, synonyms, sentiment lexicons, rules and the topic taxonomy.

Defaults ship as data files in ``cem_core/text/data`` (general ones plus one file per industry
template); an admin's edits are stored as versioned overrides (``cem_core.text.settings``) and merged
on top by ``build_config``. Everything that analyses text takes one frozen ``TextConfig``, so the same
comment analysed with the same version always gives the same tokens, sentiment and topics.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
INDUSTRIES = ("hotel", "airline", "bank", "auto", "insurance", "retail")


@dataclass(frozen=True)
class TopicRule:
    """One topic of the two-level taxonomy. A comment matches when it contains ANY of ``any_of`` (zh or
    en keywords), ALL of ``all_of`` (if given) and NONE of ``not_of``."""

    code: str
    parent: str  # level-1 topic code ("" for a level-1 topic itself)
    name_zh: str
    name_en: str
    any_of: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()
    not_of: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "parent": self.parent, "name_zh": self.name_zh, "name_en": self.name_en,
                "any": list(self.any_of), "all": list(self.all_of), "not": list(self.not_of)}

    @staticmethod
    def from_dict(d: dict[str, Any]) -> TopicRule:
        return TopicRule(str(d["code"]), str(d.get("parent") or ""), str(d.get("name_zh") or d["code"]),
                         str(d.get("name_en") or d["code"]), tuple(d.get("any") or ()), tuple(d.get("all") or ()),
                         tuple(d.get("not") or ()))


@dataclass(frozen=True)
class TextConfig:
    """Everything text analysis reads. ``version`` is the stored settings version it was built from."""

    industry: str
    version: int
    user_words: tuple[str, ...]
    stopwords: frozenset[str]
    synonyms: dict[str, str] = field(hash=False)  # variant (lower case for en) -> display term
    lexicon: dict[str, float] = field(hash=False)  # word or phrase -> weight, zh and en together
    rules: dict[str, Any] = field(hash=False)
    topics: tuple[TopicRule, ...] = ()


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def _lexicon(path: Path) -> dict[str, float]:
    out = {}
    for line in _lines(path):
        word, _, weight = line.partition("\t")
        out[word.strip()] = float(weight)
    return out


@cache
def _json(name: str) -> dict[str, Any]:
    path = DATA / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def industry_defaults(industry: str) -> dict[str, Any]:
    """The shipped industry file: ``user_words``, ``synonyms``, ``lexicon`` and ``topics``."""
    return _json(f"industries/{industry}.json")


def default_overrides() -> dict[str, Any]:
    """The shape of an admin's overrides (all empty): what ``build_config`` merges on top of the files."""
    return {"user_words": [], "stopwords": [], "stopwords_removed": [], "synonyms": {}, "lexicon": {}, "topics": None}


def _synonym_map(groups: dict[str, list[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for display, variants in groups.items():
        if display.startswith("_"):
            continue
        for v in variants:
            out[v.lower() if v.isascii() else v] = display
    return out


def build_config(industry: str = "hotel", overrides: dict[str, Any] | None = None, version: int = 0) -> TextConfig:
    """Defaults of ``industry`` with an admin's ``overrides`` on top (see ``default_overrides``)."""
    o = {**default_overrides(), **(overrides or {})}
    ind = industry_defaults(industry)
    user_words = [*_lines(DATA / "userdict_zh.txt"), *ind.get("user_words", []), *o["user_words"]]
    removed = set(o["stopwords_removed"])
    stop = {w for w in [*_lines(DATA / "stopwords_zh.txt"), *_lines(DATA / "stopwords_en.txt"), *o["stopwords"]]
            if w not in removed}
    groups: dict[str, list[str]] = {}
    for source in (_json("synonyms.json"), ind.get("synonyms", {}), o["synonyms"]):
        for display, variants in source.items():
            groups.setdefault(display, []).extend(variants)
    lexicon = {**_lexicon(DATA / "lexicon_zh.tsv"), **_lexicon(DATA / "lexicon_en.tsv"),
               **{k: float(v) for k, v in ind.get("lexicon", {}).items()},
               **{k: float(v) for k, v in o["lexicon"].items()}}
    topics_src = o["topics"] if o["topics"] is not None else ind.get("topics", [])
    return TextConfig(industry=industry, version=version, user_words=tuple(dict.fromkeys(user_words)),
                      stopwords=frozenset(stop), synonyms=_synonym_map(groups), lexicon=lexicon,
                      rules=_json("rules.json"), topics=tuple(TopicRule.from_dict(t) for t in topics_src))


@cache
def default_config(industry: str = "hotel") -> TextConfig:
    """The shipped defaults of one industry (cached: building one reads a dozen small files)."""
    return build_config(industry)
