"""Comment -> terms: the words a word cloud counts, one list per comment, computed once at import.

Chinese goes through rjieba (the Rust port of jieba, same dictionary: ``bench/bench_text.py`` checks
that it gives the same tokens as ``jieba.lcut`` and measures how much faster it is) with the user
dictionary and the sentiment lexicon's words added, so brand words and "乱收费" stay whole. English is
lower-cased word tokens with plural folding ("rooms" -> "room"). Both drop stop words, punctuation and
numbers, and map synonyms to one display term (客服人员 -> 客服, checkin -> check-in).
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

import rjieba

from cem_core.text.dictionaries import TextConfig

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_EN_WORD = re.compile(r"[a-z0-9_]+(?:['’-][a-z0-9_]+)*")
TERM_MEMO = 200_000  # distinct raw tokens remembered per tokenizer
_KEEP = re.compile(r"[\u3400-\u9fffA-Za-z]")  # a token with neither (punctuation, digits) is never a term
# Plural folding: words that end in s but are not plurals (after stop words are gone).
_NOT_PLURAL = frozenset([
    "news", "series", "species", "always", "perhaps", "yes", "bus", "gas", "plus", "less", "unless", "across",
    "various", "process", "access", "business", "address", "glass", "class", "pass", "boss", "loss", "mess",
    "dress", "express", "chess", "lens", "bonus", "status", "campus", "virus", "census", "focus", "analysis",
    "basis", "crisis", "thesis", "delicious", "gorgeous", "nervous", "serious", "previous", "obvious",
    "famous", "anxious", "generous", "spacious", "gracious", "curious", "cautious", "tedious", "tremendous",
    "ridiculous", "luxurious", "courteous", "numerous", "sometimes", "afterwards", "towards", "upstairs",
    "downstairs", "overseas", "ethos", "lots", "thanks", "means", "miles",
])


def detect_lang(text: str) -> str:
    """"zh" when Chinese characters make up a real part of the letters, else "en"."""
    cjk = len(_CJK.findall(text))
    if cjk == 0:
        return "en"
    return "zh" if cjk * 3 >= len(_LATIN.findall(text)) else "en"


def fold_plural(word: str) -> str:
    """rooms -> room, queries -> query, boxes -> box; leaves short words and known non-plurals alone."""
    if len(word) <= 3 or word in _NOT_PLURAL or not word.endswith("s") or word.endswith(("ss", "us", "is", "'s")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    return word[:-1]


class Tokenizer:
    """Terms of comments under one ``TextConfig`` (build once per config: loading the dictionary costs
    about a second)."""

    def __init__(self, config: TextConfig) -> None:
        self.config = config
        self.jieba = rjieba.Jieba()
        words = [*config.user_words, *config.synonyms.keys(), *config.synonyms.values(),
                 *(w for w in config.lexicon if _CJK.search(w) and len(w) > 1),
                 *(w for w in config.rules.get("neutral_cues_zh", ()) if len(w) > 1)]
        for w in dict.fromkeys(words):
            if _CJK.search(w) and " " not in w:
                self.jieba.add_word(w, 2000, None)
        self.stop = config.stopwords
        self.syn = config.synonyms
        multi = sorted((v for v in config.synonyms if v.isascii() and " " in v), key=len, reverse=True)
        self._en_multi = re.compile(r"\b(" + "|".join(map(re.escape, multi)) + r")\b") if multi else None
        # raw token -> its term ("" for none): a token's term depends on the token alone, and comments
        # reuse a small vocabulary, so each distinct token goes through the rules once (3x faster terms)
        self._terms: dict[str, str] = {}

    def cut_zh(self, text: str) -> list[str]:
        """Raw jieba tokens (punctuation and stop words included): what sentiment reads."""
        return self.jieba.cut(text, True)

    def _term(self, token: str) -> str | None:
        if token.isascii():
            token = token.lower()
        if not _KEEP.search(token) or token in self.stop:
            return None
        if token.isascii():
            token = fold_plural(token)
            if token in self.stop:
                return None
        term = self.syn.get(token, token)
        return None if term in self.stop else term

    def terms(self, text: str, lang: str | None = None) -> list[str]:
        """The display terms of one comment, in order (repeats kept: counts are per occurrence)."""
        lang = lang or detect_lang(text)
        if lang == "zh":
            raw = self.cut_zh(text)
        else:
            low = text.lower()
            if self._en_multi is not None:
                low = self._en_multi.sub(lambda m: self.syn[m.group(1)].replace(" ", "_"), low)
            raw = [w.replace("_", " ") for w in _EN_WORD.findall(low.replace("’", "'"))]
        known = self._terms
        out = [known[tok] if tok in known else self._learn(tok) for tok in raw]
        return [term for term in out if term]

    def _learn(self, raw: str) -> str:
        """The term of one raw token ("" for none), remembered (the memo is bounded: cleared when full)."""
        tok = raw.strip()
        if not tok:
            term = ""
        elif tok.isascii() and " " in tok:  # a multi-word synonym already mapped to its display term
            term = tok
        else:
            term = self._term(tok) or ""
            if (len(term) == 1 and term.isascii()) or (len(term) == 1 and _CJK.match(term)):
                term = ""
        if len(self._terms) >= TERM_MEMO:
            self._terms.clear()
        self._terms[raw] = term
        return term


def bigrams(terms: list[str]) -> list[str]:
    """Adjacent term pairs ("前台 排队", "front desk"): the phrase view of the cloud."""
    return [f"{a} {b}" for a, b in pairwise(terms) if a != b]


@lru_cache(maxsize=8)
def tokenizer_for(config: TextConfig) -> Tokenizer:
    """One tokenizer per config, reused across calls (the dictionary load is the expensive part)."""
    return Tokenizer(config)
