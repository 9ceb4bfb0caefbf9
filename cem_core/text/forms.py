"""The Text settings form's text areas <-> the overrides a settings version stores (plain functions, so
parsing is tested without Streamlit)."""

from __future__ import annotations

from typing import Any


def parse_lines(text: str) -> list[str]:
    """One entry per line; blanks and duplicates dropped, order kept."""
    return list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))


def parse_synonyms(text: str) -> dict[str, list[str]]:
    """``display: variant1, variant2`` per line (a Chinese colon or comma works too)."""
    out: dict[str, list[str]] = {}
    for line in parse_lines(text):
        display, sep, rest = line.replace("：", ":").partition(":")
        if not sep or not display.strip():
            raise ValueError(f"synonyms: {line!r} needs 'display: variant, ...'")
        out[display.strip()] = [v.strip() for v in rest.replace("，", ",").split(",") if v.strip()]
    return out


def parse_lexicon(text: str) -> dict[str, float]:
    """``word weight`` per line; the weight is the last field so phrases with spaces work."""
    out: dict[str, float] = {}
    for line in parse_lines(text):
        word, _, weight = line.rpartition(" ")
        if not word.strip():
            raise ValueError(f"sentiment words: {line!r} needs 'word weight'")
        out[word.strip()] = float(weight)
    return out


def show_synonyms(groups: dict[str, list[str]]) -> str:
    return "\n".join(f"{k}: {', '.join(v)}" for k, v in groups.items())


def show_lexicon(lexicon: dict[str, float]) -> str:
    return "\n".join(f"{k} {v:g}" for k, v in lexicon.items())


def changed_words(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Words added to or removed from any list of the overrides: the comments containing them are the
    ones a change can affect (the page counts them before the rebuild)."""
    def words(o: dict[str, Any]) -> set[str]:
        out = {*o.get("user_words", []), *o.get("stopwords", []), *o.get("stopwords_removed", []),
               *o.get("lexicon", {})}
        for display, variants in o.get("synonyms", {}).items():
            out |= {display, *variants}
        return out
    return sorted(words(old) ^ words(new))
