"""User text (file, batch, template and channel names) shown as the text it is inside widgets that render
Markdown: labels, captions, subheaders and alerts.

Streamlit renders those as Markdown with extensions, so a file named ``demo:hotel:`` shows an emoji and
``[x](http://evil)`` a link. ``plain`` backslash-escapes CommonMark punctuation (links, emphasis, lists,
LaTeX ``$``, the ``<-`` arrows) and puts an invisible WORD JOINER after every colon: the emoji and
``:red[...]`` extensions match text *after* escapes are resolved, so a backslash before a colon would not
stop them, while a character between the colon and the name does.
"""

from __future__ import annotations

import re

_PUNCT = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$=^])")
_JOINER = "\u2060"


def plain(text: object) -> str:
    """``text`` escaped so that Markdown shows it literally."""
    return _PUNCT.sub(r"\\\1", str(text)).replace(":", ":" + _JOINER)
