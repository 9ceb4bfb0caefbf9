"""Analysis: histograms, key drivers, heat matrices, trends, segments, spend and drill-down.

Every function takes an Engine and a ``Filters`` value and returns small aggregated frames or
dataclasses: the grouping runs in SQL, rows never leave the database except through the paged
drill-down (``drilldown``), which masks personal data unless the caller may see it.
"""
