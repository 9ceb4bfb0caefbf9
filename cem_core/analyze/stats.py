"""Confidence intervals and significance tests computed from aggregates (counts, sums, sums of squares).

Everything takes the additive figures SQL returns, so no test ever needs the rows. NPS has its own
rules in ``cem_core.analyze.metrics`` (CI from the +1/0/-1 variable, ``nps_diff_significant``); here are the
proportion (CSAT top-2-box) and mean (CES) counterparts, all at the 95% level.
"""

from __future__ import annotations

import math

from cem_core.analyze.metrics import Z95


def t_quantile_975(df: float) -> float:
    """Two-sided 95% critical value of Student's t with ``df`` degrees of freedom.

    Hill's (1970) expansion around the normal quantile: within 0.004 of tables for df >= 3 and exact in
    the limit, which is all a CI band needs and spares a scipy dependency. Below 3 the tabled values.
    """
    if not df > 0:
        return math.inf
    if df < 3:
        return 12.706 if df < 2 else 4.303
    z = Z95
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def proportion_ci(successes: int, n: int) -> tuple[float, float] | None:
    """Wilson 95% interval of a share, in percent (stays inside 0-100 and behaves for small n)."""
    if n <= 0:
        return None
    p = successes / n
    z2 = Z95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return 100 * max(centre - half, 0.0), 100 * min(centre + half, 1.0)


def proportion_diff_significant(x1: int, n1: int, x2: int, n2: int) -> bool:
    """Two-proportion z-test with the pooled variance (e.g. CSAT top-2-box this month vs last)."""
    if n1 <= 0 or n2 <= 0:
        return False
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return se > 0 and abs(x1 / n1 - x2 / n2) / se > Z95


def mean_var(n: int, total: float, squares: float) -> tuple[float | None, float | None]:
    """Mean and sample variance from n, sum and sum of squares (None where undefined)."""
    if n <= 0:
        return None, None
    mean = total / n
    if n < 2:
        return mean, None
    return mean, max((squares - total * total / n) / (n - 1), 0.0)


def mean_ci(n: int, total: float, squares: float) -> tuple[float, float] | None:
    """95% t interval of a mean from its sums."""
    mean, var = mean_var(n, total, squares)
    if mean is None or var is None:
        return None
    half = t_quantile_975(n - 1) * math.sqrt(var / n)
    return mean - half, mean + half


def welch_significant(n1: int, sum1: float, sq1: float, n2: int, sum2: float, sq2: float) -> bool:
    """Welch's t-test (unequal variances) at 95% on two means given by their sums."""
    m1, v1 = mean_var(n1, sum1, sq1)
    m2, v2 = mean_var(n2, sum2, sq2)
    if m1 is None or m2 is None or v1 is None or v2 is None:
        return False
    a, b = v1 / n1, v2 / n2
    se = math.sqrt(a + b)
    if se == 0:
        return m1 != m2
    df = (a + b) ** 2 / ((a * a / (n1 - 1)) + (b * b / (n2 - 1))) if a + b > 0 else n1 + n2 - 2
    return abs(m1 - m2) / se > t_quantile_975(df)
