"""A comment as inert Markdown with one term highlighted: the only way user text reaches ``st.markdown``.

Every Markdown-active character is backslash-escaped, so ``[x](http://…)``, ``![img](…)``, headings,
emphasis and tables in a comment show as the characters typed; bare URLs get a zero-width space after
the scheme so no autolink forms; HTML is shown as text by Streamlit anyway (never ``unsafe_allow_html``).
Only the highlight markers we add are live Markdown.
"""

from __future__ import annotations

import re

_ACTIVE = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:=&\"'%])")
_AUTOLINK = re.compile(r"(?i)(https?|ftp|mailto|www)")
ZWSP = "\u200b"


def escape_markdown(text: str) -> str:
    """Text that Markdown renders exactly as typed, without links or images."""
    out = _ACTIVE.sub(r"\\\1", text.replace("\r", " ").replace("\n", " "))
    return _AUTOLINK.sub(lambda m: m.group(0)[0] + ZWSP + m.group(0)[1:], out)


def highlight_markdown(text: str, term: str | None) -> str:
    """``text`` escaped, with each case-insensitive occurrence of ``term`` (or of both words of a
    bigram) wrapped in a highlight. Matching happens on the raw text, escaping on each piece."""
    if not term:
        return escape_markdown(text)
    words = [w for w in term.split(" ") if w]
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE)
    parts, last = [], 0
    for m in pattern.finditer(text):
        parts.append(escape_markdown(text[last:m.start()]))
        parts.append(f":orange-background[**{escape_markdown(m.group(0))}**]")
        last = m.end()
    parts.append(escape_markdown(text[last:]))
    return "".join(parts)
