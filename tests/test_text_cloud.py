"""Word cloud: Chinese renders as glyphs (not replacement boxes) with the shipped font, colours follow
sentiment, and words the font cannot draw are left out."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from cem_core.text.cloud import SHIPPED_FONT, drawable, render_cloud, sentiment_colour

WORDS = "前台排队"


def _draw(text: str) -> np.ndarray:
    font = ImageFont.truetype(str(SHIPPED_FONT), 48)
    img = Image.new("L", (260, 70), 255)
    ImageDraw.Draw(img).text((4, 4), text, font=font, fill=0)
    return np.asarray(img)


def test_shipped_font_draws_chinese_glyphs_not_boxes() -> None:
    """The same words drawn with the font's replacement glyph (.notdef, what a missing CJK font gives)
    look different from the real glyphs, and each real glyph differs from the others."""
    real = _draw(WORDS)
    boxes = _draw("\ue000" * len(WORDS))  # private-use code points: the font has no glyph, draws .notdef
    assert (real < 128).sum() > 500
    assert not np.array_equal(real, boxes)
    assert not np.array_equal(_draw("前"), _draw("台"))


def test_cloud_png_has_ink_in_the_sentiment_colours() -> None:
    df = pd.DataFrame({"term": ["前台", "排队", "早餐"], "count": [30, 20, 25], "avg_score": [-0.8, -0.5, 0.8]})
    png = render_cloud(df, font=SHIPPED_FONT)
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3).astype(int)
    red = ((img[:, 0] > 150) & (img[:, 1] < 90)).sum()
    green = ((img[:, 1] > 120) & (img[:, 0] < 90)).sum()
    assert red > 1000 and green > 1000
    assert sentiment_colour(-1) == "rgb(214, 39, 40)" and sentiment_colour(0) == "rgb(120, 120, 120)"


def test_undrawable_words_are_left_out_and_empty_input_renders() -> None:
    assert drawable("前台", SHIPPED_FONT) and drawable("check-in", SHIPPED_FONT)
    assert not drawable("𠀋", SHIPPED_FONT)
    only_rare = pd.DataFrame({"term": ["𠀋"], "count": [5], "avg_score": [0.0]})
    blank = np.asarray(Image.open(io.BytesIO(render_cloud(only_rare, font=SHIPPED_FONT))).convert("L"))
    assert (blank < 250).sum() == 0
    assert render_cloud(pd.DataFrame(columns=["term", "count", "avg_score"]))
