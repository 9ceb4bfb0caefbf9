"""One comment -> everything stored about it: language, terms, bigrams, sentiment with evidence, topics.

``TextAnalyzer`` bundles the tokenizer, the sentiment engine and the taxonomy of one ``TextConfig``;
imports, the demo, rebuilds and the CLI all go through ``analyse`` so every path gives the same result.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cem_core.text.dictionaries import TextConfig
from cem_core.text.sentiment import SentimentEngine
from cem_core.text.tokens import bigrams, detect_lang, tokenizer_for
from cem_core.text.topics import Taxonomy, TopicMatch


@dataclass
class Analysis:
    lang: str
    terms: list[str]
    bigrams: list[str]
    label: str
    score: float
    evidence: list[str]
    topics: list[TopicMatch]


class TextAnalyzer:
    def __init__(self, config: TextConfig) -> None:
        self.config = config
        self.tokenizer = tokenizer_for(config)
        self.sentiment = SentimentEngine(config, self.tokenizer)
        self.taxonomy = Taxonomy(config.topics)

    def analyse(self, text: str | None, lang: str | None = None) -> Analysis | None:
        """None for a blank comment (nothing is stored for it)."""
        if text is None or not str(text).strip():
            return None
        text = str(text)
        lang = lang if lang in ("zh", "en") else detect_lang(text)
        terms = self.tokenizer.terms(text, lang)
        verdict = self.sentiment.analyse(text, lang)
        return Analysis(lang, terms, bigrams(terms), verdict.label, verdict.score, verdict.evidence,
                        self.taxonomy.match(text, verdict))


@lru_cache(maxsize=4)
def analyzer_for(config: TextConfig) -> TextAnalyzer:
    return TextAnalyzer(config)
