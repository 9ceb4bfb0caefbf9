"""The word cloud as a PNG: terms sized by count and coloured by the average sentiment of their comments.

Chinese needs a CJK font or every word is an empty box. ``font_path`` prefers a full system Noto CJK
(installed by scripts/test.sh) and otherwise uses the OFL subset shipped in ``data/fonts``; a word with
a character the font lacks is left out of the image (it stays in the term table), so the cloud never
shows replacement boxes. Pixels cost time (GUIDE: 800x400 0.3 s, 1600x800 1.7 s), so the cloud is laid
out at 800x400 and scaled x2.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pandas as pd
from fontTools.ttLib import TTFont
from PIL import Image
from wordcloud import WordCloud

from cem_core.config import CJK_FONT

SHIPPED_FONT = CJK_FONT
SYSTEM_FONTS = (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),)
SC_INDEX = 2  # Simplified Chinese face inside the Noto CJK collection
NEGATIVE, NEUTRAL, POSITIVE = (214, 39, 40), (120, 120, 120), (44, 160, 44)


def font_path() -> Path:
    return next((p for p in SYSTEM_FONTS if p.exists()), SHIPPED_FONT)


@cache
def _cmap(path: Path) -> frozenset[int]:
    font = TTFont(str(path), fontNumber=SC_INDEX if path.suffix == ".ttc" else -1, lazy=True)
    return frozenset(font.getBestCmap())


def drawable(word: str, path: Path | None = None) -> bool:
    """Whether every character of ``word`` has a glyph in the cloud's font."""
    cmap = _cmap(path or font_path())
    return all(ord(ch) in cmap for ch in word if not ch.isspace())


def sentiment_colour(score: float) -> str:
    """Red for negative, grey for neutral, green for positive, blended by the average score (-1..1)."""
    s = max(-1.0, min(1.0, score))
    far = POSITIVE if s > 0 else NEGATIVE
    t = min(1.0, abs(s) * 1.6)
    rgb = tuple(round(a + (b - a) * t) for a, b in zip(NEUTRAL, far, strict=True))
    return f"rgb{rgb}"


def render_cloud(terms: pd.DataFrame, width: int = 800, height: int = 400, scale: int = 2,
                 font: Path | None = None, seed: int = 7) -> bytes:
    """PNG bytes of a cloud of ``terms`` (columns ``term``, ``count``, ``avg_score``). An empty frame
    gives a blank image rather than an error, so a filter with no comments still renders."""
    path = font or font_path()
    freqs = {t: int(n) for t, n in zip(terms.get("term", []), terms.get("count", []), strict=True)
             if n and drawable(t, path)}
    scores = dict(zip(terms.get("term", []), terms.get("avg_score", []), strict=True))
    cloud = WordCloud(font_path=str(path), width=width, height=height, scale=scale, background_color="white",
                      prefer_horizontal=0.95, random_state=seed, collocations=False, max_words=len(freqs) or 1,
                      color_func=lambda word, **_: sentiment_colour(float(scores.get(word, 0.0))))
    if freqs:
        cloud.generate_from_frequencies(freqs)
        image = cloud.to_image()
    else:
        image = Image.new("RGB", (width * scale, height * scale), "white")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()
