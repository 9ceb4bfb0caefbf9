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
PIECE_MEMO = 50_000  # distinct pieces (text between two cuts, below) whose tokens are remembered
# Punctuation jieba never keeps inside a block and always gives as a token of its own, so
# cut(a + p + b) == cut(a) + [p] + cut(b) (``tests/text/test_tokens.py`` checks it on random text):
# comments are cut into pieces at these, and each distinct piece is segmented once.
_CUT = re.compile(r"([，,。!！？?；;…~～、:：]+)")
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
        # piece (see ``_CUT``) -> its raw tokens / its terms: CX comments are made of recurring pieces
        # ("服务很好"), and sentiment cuts a comment's clauses, most of which are its pieces, again
        self._piece_tokens: dict[str, list[str]] = {}
        self._piece_terms: dict[str, list[str]] = {}

    def forget(self) -> None:
        """Drop the piece memos (benchmarks measure text never seen before; the token memo stays: it is
        the vocabulary, which new comments share)."""
        self._piece_tokens.clear()
        self._piece_terms.clear()

    def cut_zh(self, text: str) -> list[str]:
        """Raw jieba tokens (punctuation and stop words included): what sentiment reads."""
        out: list[str] = []
        for i, piece in enumerate(_CUT.split(text)):
            if i % 2:  # a run of cut punctuation: one token per character
                out += piece
            elif piece:
                out += self._cut_piece(piece)
        return out

    def _cut_piece(self, piece: str) -> list[str]:
        tokens = self._piece_tokens.get(piece)
        if tokens is None:
            tokens = self._remember(self._piece_tokens, piece, self.jieba.cut(piece, True))
        return tokens

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
        if lang == "zh":  # a piece's terms are those of its tokens; punctuation is never a term
            out: list[str] = []
            known = self._piece_terms
            for piece in _CUT.split(text)[::2]:
                if piece:
                    terms = known.get(piece)
                    if terms is None:
                        terms = self._remember(known, piece, self._terms_of(self._cut_piece(piece)))
                    out += terms
            return out
        low = text.lower()
        if self._en_multi is not None:
            low = self._en_multi.sub(lambda m: self.syn[m.group(1)].replace(" ", "_"), low)
        return self._terms_of([w.replace("_", " ") for w in _EN_WORD.findall(low.replace("’", "'"))])

    def _terms_of(self, raw: list[str]) -> list[str]:
        known = self._terms
        out = [known[tok] if tok in known else self._learn(tok) for tok in raw]
        return [term for term in out if term]

    @staticmethod
    def _remember(memo: dict[str, list[str]], piece: str, value: list[str]) -> list[str]:
        """Store one piece's tokens or terms in its bounded memo (cleared when full)."""
        if len(memo) >= PIECE_MEMO:
            memo.clear()
        memo[piece] = value
        return value

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
