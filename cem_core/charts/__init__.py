"""Altair chart builders, one module per page family. They take small, already aggregated frames (never
raw rows) and return charts; no streamlit, so pages, exports and reports draw the same charts."""
