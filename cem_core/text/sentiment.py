"""Sentiment of a CX comment: positive / neutral / negative, a score in [-1, 1] and the evidence.

A lexicon engine with rules rather than a model, because a model cannot say *why* and the packages in
reach (snownlp, VADER, ...) score about 50-56 % on three classes of CX text: they almost never say
neutral. The rules, in the order they apply (all word lists are data in ``data/rules.json`` and the
lexicons, extendable by an admin):

1. A score written in the text ("6分", "5/10", "3 stars", "满分") is the customer's own verdict and decides.
2. The text is cut into clauses at punctuation and at contrast words. A contrast (但是/不过/but/however)
   makes what follows decide: earlier clauses count 0.4. A concession clause (虽然/although) counts 0.4.
3. In each clause, fixed phrases first ("can't complain", "挑不出毛病", "不会再来"), then lexicon words;
   a word preceded (within three tokens) by an odd number of negators flips: a negated positive is
   negative, a negated negative ("not bad", "没有异味") weakly positive. Intensifiers (非常, extremely)
   and diminishers (有点, a bit) scale it. Waiting spelled out ("等了四十分钟", "on hold for an hour")
   counts negative, so does a bare negation with no polar word ("承诺的赠品一样都没给").
4. Quoted praise ("“五星级”的卫生", 'the "quiet" room') is irony in CX comments: it counts negative and
   its words do not count as praise.
5. A neutral cue (还行, 一般, "it was fine", "average") in a deciding clause makes a weak verdict neutral;
   so does a question without strong words.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from cem_core.text.dictionaries import TextConfig, default_config
from cem_core.text.tokens import Tokenizer, detect_lang, fold_plural, tokenizer_for
from cem_core.text.trie import trie_pattern

_SPLIT = re.compile(r"[，,。.!！？?；;\n…~～、:：]+")
_QUOTES = re.compile(r"[“\"「『‘]([^”\"」』’]{1,24})[”\"」』’]")
_EN_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
WINDOW = {"zh": 2, "en": 3}  # tokens before a word that can negate or intensify it
BARE_NEGATION = -0.8
NEGATED_NEGATIVE = 0.8  # "not bad" is praise, but faint
NEGATED_POSITIVE = 0.9
CONTRAST_EARLIER = 0.4
CONCESSION = 0.4
THRESHOLD = 0.5
PREFIX_MEMO = 200_000  # distinct tokens whose prefix split is remembered
CLAUSE_MEMO = 200_000  # distinct clauses whose score is remembered
SEGMENT_MEMO = 50_000  # distinct segments (text between punctuation) whose clauses are remembered


def _any_of(words: list[str]) -> re.Pattern[str]:
    """A pattern found in a text exactly when one of ``words`` is a substring of it."""
    return re.compile("|".join(map(re.escape, words)) if words else "(?!)")


@dataclass
class Clause:
    text: str
    weight: float
    score: float = 0.0
    neutral_cue: str | None = None
    question: bool = False
    marker: str = ""  # "contrast" or "concession" when the clause opens with one
    evidence: list[str] = field(default_factory=list)


@dataclass
class Verdict:
    """The label, a score in [-1, 1], and the words and rules that decided it (shown to users)."""

    label: str
    score: float
    evidence: list[str]
    lang: str = "zh"
    clauses: list[Clause] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"label": self.label, "score": round(self.score, 3), "evidence": self.evidence, "lang": self.lang}


def label_of(total: float) -> str:
    return "positive" if total >= THRESHOLD else "negative" if total <= -THRESHOLD else "neutral"


class SentimentEngine:
    """Scores comments under one ``TextConfig``; build once (it compiles the rule patterns)."""

    def __init__(self, config: TextConfig, tokenizer: Tokenizer | None = None) -> None:
        r = config.rules
        self.tok = tokenizer or tokenizer_for(config)
        self.lex = config.lexicon
        self.neg = {"zh": set(r["negators_zh"]), "en": set(r["negators_en"])}
        self.inten = {"zh": {**r["intensifiers_zh"], **r["diminishers_zh"]},
                      "en": {**r["intensifiers_en"], **{k: v for k, v in r["diminishers_en"].items() if " " not in k}}}
        self.dim_en_multi = {k: v for k, v in r["diminishers_en"].items() if " " in k}
        # Fixed phrases of the rules and multi-word lexicon entries, one alternation per language so a
        # clause is scanned once (longest first: "won't be back" before "be back")
        zh_multi = {k: v for k, v in self.lex.items() if not k.isascii() and k in r["phrases_zh"]}
        en_multi = {k: v for k, v in self.lex.items() if k.isascii() and " " in k}
        self.phrase_weight = {"zh": {**zh_multi, **r["phrases_zh"]}, "en": {**en_multi, **r["phrases_en"]}}
        self.phrase_re = {lang: re.compile(trie_pattern(w)) for lang, w in self.phrase_weight.items()}
        self.nobody_en = tuple((nb, re.compile(rf"\b{nb}\b")) for nb in r["nobody_en"])
        self.neutral_zh = re.compile(trie_pattern(r["neutral_cues_zh"]))
        self.neutral_en = re.compile(rf"(?<![a-z])({trie_pattern(r['neutral_cues_en'])})(?![a-z])")
        # "any cue in the text" as one scan (an alternation of the literal cues) instead of one per cue
        self.question = {lang: _any_of(r[f"question_cues_{lang}"]) for lang in ("zh", "en")}
        self.irony = {"zh": tuple(r["irony_zh"]), "en": tuple(r["irony_en"])}
        self.irony_any = {lang: _any_of(cues) for lang, cues in self.irony.items()}  # one scan: is any there?
        self.wait = {"zh": re.compile(r["wait_zh"]), "en": re.compile(r["wait_en"])}
        self.solved = {"zh": re.compile(r["solved_zh"]), "en": re.compile(r["solved_en"])}
        self.attribute_zh = re.compile(r["attribute_zh"])
        self.attribute_neg = tuple(r["attribute_zh_negative_ends"])
        self.score_zh = re.compile(r"(满分)|(\d+(?:\.\d+)?)\s*分(?![钟店行期享公数之])")
        self.score_en = re.compile(r["score_en"])
        contrast_zh = "|".join(map(re.escape, sorted(r["contrast_zh"], key=len, reverse=True)))
        self.contrast_zh = re.compile(f"({contrast_zh})")
        self.contrast_zh_words = tuple(sorted(r["contrast_zh"], key=len, reverse=True))
        self.contrast_en = re.compile(r"\b(" + "|".join(map(re.escape, r["contrast_en"])) + r")\b")
        self.concession = {"zh": tuple(r["concession_zh"]), "en": tuple(r["concession_en"])}
        self.concession_zh_near = _any_of(r["concession_zh"])  # a concession word in a clause's first 4 characters
        self._prefixes: dict[str, tuple[str, ...]] = {}  # token -> ``_split_prefixes`` of it, per distinct token
        # (clause text, lang) -> what ``score_clause`` found: a clause's score depends on its text alone, and
        # CX comments are made of recurring clauses ("服务很好", "the room was clean")
        self._clauses: dict[tuple[str, str], tuple[float, str | None, bool, tuple[str, ...]]] = {}
        # lang -> segment -> ``_segment`` of it (its clauses, scored)
        self._segments: dict[str, dict[str, tuple]] = {"zh": {}, "en": {}}

    # -- rule 1 -----------------------------------------------------------------------------------
    def written_score(self, text: str, lang: str) -> tuple[float, str] | None:
        """A rating written in the comment as a fraction of its scale, with the text that said it."""
        if lang == "zh":
            if "分" not in text:  # both forms need it; most comments have none
                return None
            for m in self.score_zh.finditer(text):
                if m.group(1):
                    return 1.0, m.group(0)
                value = float(m.group(2))
                if value <= 10:
                    return value / 10, m.group(0)
                if value <= 100:
                    return value / 100, m.group(0)
            return None
        for m in self.score_en.finditer(text.lower()):
            g = m.groups()
            if g[1] is not None and g[2] is not None:
                value, scale = float(g[1]), float(g[2])
            elif g[3] is not None:
                value, scale = float(g[3]), 5.0
            else:
                raw = g[4] or g[5]
                if raw is None:
                    continue
                value = float(raw)
                scale = 10.0  # "rate it a 6": people rate out of ten unless they say otherwise
            if 0 <= value <= scale:
                return value / scale, m.group(0).strip()
        return None

    # -- rule 2 -----------------------------------------------------------------------------------
    def clauses(self, text: str, lang: str) -> list[Clause]:
        """The clauses of a text, weighted, each scored (rule 3): a segment between punctuation gives the
        same clauses and scores wherever it appears, so each distinct segment is worked out once (a
        bounded memo); only the weights, which a later contrast lowers, are per comment."""
        out: list[Clause] = []
        known = self._segments[lang]
        for seg in _SPLIT.split(text):
            if not seg:  # before the first or after the last punctuation
                continue
            parts = known.get(seg)
            if parts is None:
                parts = self._segment(seg, lang)
                if len(known) >= SEGMENT_MEMO:
                    known.clear()
                known[seg] = parts
            for clause_text, marker, score, cue, question, evidence in parts:
                if marker == "contrast":
                    for c in out:
                        c.weight *= CONTRAST_EARLIER
                out.append(Clause(clause_text, CONCESSION if marker == "concession" else 1.0, score, cue, question,
                                  marker, list(evidence)))
        return out

    def _segment(self, seg: str, lang: str) -> tuple[tuple[str, str, float, str | None, bool, tuple[str, ...]], ...]:
        """One segment's clauses as (text, marker, score, neutral cue, question, evidence): cut at contrast
        words, each opening with one marked "contrast", one opening with a concession word "concession"."""
        if not seg.strip():
            return ()
        parts: list[str] = []
        if lang == "zh":
            pieces = self.contrast_zh.split(seg)
            # split keeps the markers: glue each marker to the piece after it
            buf = pieces[0]
            for i in range(1, len(pieces), 2):
                if buf.strip():
                    parts.append(buf)
                buf = pieces[i] + (pieces[i + 1] if i + 1 < len(pieces) else "")
            if buf.strip():
                parts.append(buf)
        else:
            low = seg.lower()
            idx = [m.start() for m in self.contrast_en.finditer(low) if m.start() > 0]
            start = 0
            for i in idx:
                parts.append(seg[start:i])
                start = i
            parts.append(seg[start:])
        out = []
        for p in parts:
            low = p.strip().lower()
            if not low:
                continue
            contrast = low.startswith(self.contrast_zh_words) if lang == "zh" else bool(self.contrast_en.match(low))
            concession = low.startswith(self.concession[lang]) or (
                lang == "zh" and self.concession_zh_near.search(low, 0, 4) is not None)
            marker = "contrast" if contrast else "concession" if concession else ""
            text = p.strip()
            out.append((text, marker, *self._score_known(text, lang)))
        return tuple(out)

    # -- rules 3 and 5, one clause ------------------------------------------------------------------
    def _phrases(self, text: str, lang: str, evidence: list[str]) -> tuple[str, float]:
        """Fixed phrases and patterns score first and are blanked out, so their words don't count twice.
        A praise phrase right after a negator flips ("won't buy again"). Returns the blanked text and
        the phrases' score; their evidence goes to ``evidence``."""
        score = 0.0
        low = text.lower() if lang == "en" else text
        blank = " , " if lang == "en" else "，"
        for pattern, weight, name in ((self.solved[lang], 1.5, "solved"),):
            m = pattern.search(low)
            if m:
                score += weight
                evidence.append(f"{m.group(0)} ({name}) +")
                low = low[:m.start()] + blank + low[m.end():]
        if lang == "zh":
            attributes = list(self.attribute_zh.finditer(low))
            for m in attributes:
                weight = -1.2 if m.group(0).endswith(self.attribute_neg) else 1.2
                before = low[max(0, m.start() - 2):m.start()]
                if before.endswith(("不", "没", "不是", "没有", "不够", "不太")):
                    weight = -weight * NEGATED_POSITIVE
                score += weight
                evidence.append(f"{m.group(0)} {'+' if weight > 0 else '−'}")
            if attributes:
                low = self.attribute_zh.sub(blank, low)
        weights = self.phrase_weight[lang]
        found = list(self.phrase_re[lang].finditer(low))
        for m in found:
            phrase, at = m.group(0), m.start()
            weight = weights[phrase]
            if weight:
                before = low[max(0, at - 12):at]
                negated = weight > 0 and (any(n in before[-3:] for n in ("不", "没", "别")) if lang == "zh" else
                                          any(w in self.neg["en"] for w in _EN_TOKEN.findall(before)[-2:]))
                value = -weight * NEGATED_POSITIVE if negated else weight
                score += value
                evidence.append(f"{phrase}{' (negated)' if negated else ''} {'+' if value > 0 else '−'}")
        return (self.phrase_re[lang].sub(blank, low) if found else low), score

    def _neutral(self, low: str, lang: str) -> str | None:
        if lang == "zh":
            hit = self.neutral_zh.search(low)
            return hit.group(0) if hit else None
        m = self.neutral_en.search(low)
        return m.group(1) if m else None

    def _split_prefixes(self, tokens: list[str]) -> list[str]:
        """jieba keeps "太吵" or "不新鲜" whole when its dictionary knows them: split off a leading
        negator or intensifier so the lexicon word behind it is found and the rules apply to it."""
        known = self._prefixes
        out: list[str] = []
        for t in tokens:
            pieces = known.get(t)
            if pieces is None:
                pieces = known[t] = self._split_prefix(t)
                if len(known) > PREFIX_MEMO:
                    known.clear()
            out += pieces
        return out

    def _split_prefix(self, t: str) -> tuple[str, ...]:
        if t not in self.lex and len(t) >= 2:
            for cut in (2, 1):
                head, rest = t[:cut], t[cut:]
                if rest in self.lex and (head in self.neg["zh"] or head in self.inten["zh"]):
                    return head, rest
        return (t,)

    def score_clause(self, text: str, lang: str) -> tuple[float, str | None, bool, tuple[str, ...]]:
        """One clause's score, neutral cue, whether it asks a question, and its evidence."""
        evidence: list[str] = []
        low, score = self._phrases(text, lang, evidence)
        cue = self._neutral(low, lang)
        question = self.question[lang].search(low) is not None
        wait = self.wait[lang].search(low)
        if wait:
            score -= 1.2
            evidence.append(f"{wait.group(0).strip()} (waiting) −")
        if lang == "zh":
            tokens = self._split_prefixes([t for t in self.tok.cut_zh(low) if t.strip()])
        else:
            for nb, pattern in self.nobody_en:
                if pattern.search(low):
                    score -= 0.8
                    evidence.append(f"{nb} −")
                    low = pattern.sub("nobody", low)
            tokens = _EN_TOKEN.findall(low.replace("’", "'"))
        neg = self.neg[lang]
        inten = self.inten[lang]
        lex_get = self.lex.get
        en = lang == "en"
        width = WINDOW[lang]
        glue = " " if en else ""
        polar = 0
        negators_seen = False
        for i, tok in enumerate(tokens):
            if tok in neg:
                negators_seen = True
                continue
            weight = lex_get(tok)
            if weight is None:
                if not en:
                    continue
                weight = lex_get(fold_plural(tok))
                if weight is None:
                    continue
            polar += 1
            lo = i - width if i > width else 0
            window = tokens[lo:i]
            # a window stops at an earlier word of the other polarity ("not clean and rude" negates only
            # "clean"); a same-polarity word shares the negation ("no hidden fees")
            for j in range(len(window) - 1, -1, -1):
                w = window[j]
                other = lex_get(w)
                if other is not None and w not in neg and w not in inten and other * weight < 0:
                    window = window[j + 1:]
                    break
            flips = 0
            factor = 1.0
            note = ""
            for w in window:
                if w in neg:
                    flips += 1
                if w in inten:
                    factor *= inten[w]
                if w in neg or w in inten:
                    note += w + glue
            if en:
                before = " ".join(tokens[lo:i])
                for d, f in self.dim_en_multi.items():
                    if before.endswith(d):
                        factor *= f
            value = weight * factor
            note += tok
            if flips % 2 == 1:
                value = -value * (NEGATED_NEGATIVE if weight < 0 else NEGATED_POSITIVE)
                note += " (negated)"
            score += value
            evidence.append(f"{note} {'+' if value > 0 else '−'}")
        # "No X" / "Never had X" open a clause about the absence of something: not a complaint
        absence = lang == "en" and bool(tokens) and tokens[0] in ("no", "never")
        if negators_seen and not polar and not wait and not question and score == 0 and not absence:
            score += BARE_NEGATION
            evidence.append(f"{text.strip()[:16]} (negation, nothing praised) −")
        return score, cue, question, tuple(evidence)

    def _score_known(self, text: str, lang: str) -> tuple[float, str | None, bool, tuple[str, ...]]:
        """``score_clause``, once per distinct clause text (bounded memo, cleared when full)."""
        key = (text, lang)
        found = self._clauses.get(key)
        if found is None:
            found = self.score_clause(text, lang)
            if len(self._clauses) >= CLAUSE_MEMO:
                self._clauses.clear()
            self._clauses[key] = found
        return found

    def forget(self) -> None:
        """Drop the memos of text seen before, the tokenizer's pieces too (``bench/bench_text.py`` measures
        the cost of clauses never seen before)."""
        self._clauses.clear()
        for known in self._segments.values():
            known.clear()
        self.tok.forget()

    # -- everything -------------------------------------------------------------------------------
    def analyse(self, text: str | None, lang: str | None = None) -> Verdict:
        text = (text or "").strip()
        if not text:
            return Verdict("neutral", 0.0, [], lang or "zh")
        lang = lang if lang in ("zh", "en") else detect_lang(text)
        evidence: list[str] = []
        irony = 0.0
        quoted = _QUOTES.findall(text)
        for q in quoted:
            evidence.append(f"“{q}” (ironic quotes) −")
            irony -= 1.5
        body = _QUOTES.sub(" , " if lang == "en" else "，", text) if quoted else text
        low = body.lower()
        cues = self.irony[lang] if (quoted or lang == "zh") and self.irony_any[lang].search(low) else ()
        for cue in cues:
            if cue in low:
                irony -= 1.0
                evidence.append(f"{cue} (irony) −")
                break
        written = self.written_score(text, lang)
        clauses = self.clauses(body, lang)
        if written is not None:
            frac, said = written
            total = 2.0 if frac >= 0.8 else -2.0 if frac <= 0.4 else 0.0
            evidence.insert(0, f"{said} (written score {frac:.0%}) {'+' if total > 0 else '−' if total < 0 else '='}")
            return Verdict(label_of(total), math.tanh(total / 2), evidence, lang, clauses)
        total = irony
        for c in clauses:
            total += c.score * c.weight
            if c.weight < 1 and c.evidence:
                evidence.extend(f"{e} ×{c.weight:g}" for e in c.evidence)
            else:
                evidence.extend(c.evidence)
        markers = {c.marker for c in clauses}
        if len(clauses) > 1 and "contrast" in markers:
            evidence.append("contrast: the final clause decides")
        elif len(clauses) > 1 and "concession" in markers:
            evidence.append("concession: the main clause decides")
        top = max((c.weight for c in clauses), default=1.0)
        cue = next((c.neutral_cue for c in clauses if c.neutral_cue and c.weight == top), None)
        if cue and abs(total) < 1.6 and not irony:
            evidence.append(f"{cue} (neutral cue) =")
            total = 0.0
        elif all(c.question for c in clauses if c.weight == top) and abs(total) < 1.0 and not irony:
            total = 0.0
        return Verdict(label_of(total), math.tanh(total / 2), evidence, lang, clauses)


@lru_cache(maxsize=8)
def engine_for(config: TextConfig) -> SentimentEngine:
    return SentimentEngine(config)


def analyse(text: str | None, lang: str | None = None, config: TextConfig | None = None) -> Verdict:
    """Convenience for one comment under the shipped defaults (or ``config``)."""
    return engine_for(config or default_config()).analyse(text, lang)
