"""Colours every chart family shares, so good and bad read the same on every page and in reports."""

POSITIVE, NEGATIVE, NEUTRAL = "#2e7d32", "#c62828", "#9e9e9e"
