"""Confidence intervals and significance tests computed from aggregates (counts, sums, sums of squares).

Everything takes the additive figures SQL returns, so no test ever needs the rows. NPS has its own
rules in ``cem_core.analyze.metrics`` (CI from the +1/0/-1 variable, ``nps_diff_significant``); here are the
proportion (CSAT top-2-box) and mean (CES) counterparts, all at the 95% level.
"""

from __future__ import annotations

import math

from cem_core.analyze.metrics import Z95, NpsResult


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


# --- p-values (alerts say how sure a drop is; the booleans above stay the trend page's 95% markers) ---

def normal_p(z: float) -> float:
    """Two-sided p-value of a standard normal statistic."""
    return math.erfc(abs(z) / math.sqrt(2))


def _beta_cf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularised incomplete beta (Lentz), as in Numerical Recipes."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1 + aa * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < 1e-12:
            break
    return h


def t_p(t: float, df: float) -> float:
    """Two-sided p-value of Student's t with ``df`` degrees of freedom (regularised incomplete beta;
    no scipy dependency for one function)."""
    if not df > 0 or t == 0:
        return 1.0
    x = df / (df + t * t)
    a, b = df / 2, 0.5
    if x <= 0:
        return 0.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return min(1.0, front * _beta_cf(a, b, x) / a)
    return min(1.0, 1 - front * _beta_cf(b, a, 1 - x) / b)


def nps_diff_p(a: NpsResult, b: NpsResult) -> float | None:
    """p-value of the z-test behind ``metrics.nps_diff_significant`` (None when it cannot be computed)."""
    if a.margin is None or b.margin is None or a.nps is None or b.nps is None:
        return None
    se = math.hypot(a.margin, b.margin) / Z95
    if se == 0:
        return None if a.nps == b.nps else 0.0
    return normal_p((a.nps - b.nps) / se)


def proportion_diff_p(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """p-value of ``proportion_diff_significant``'s pooled two-proportion z-test."""
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return None
    return normal_p((x1 / n1 - x2 / n2) / se)


def welch_p(n1: int, sum1: float, sq1: float, n2: int, sum2: float, sq2: float) -> float | None:
    """p-value of ``welch_significant``'s Welch t-test."""
    m1, v1 = mean_var(n1, sum1, sq1)
    m2, v2 = mean_var(n2, sum2, sq2)
    if m1 is None or m2 is None or v1 is None or v2 is None:
        return None
    a, b = v1 / n1, v2 / n2
    if a + b == 0:
        return None if m1 == m2 else 0.0
    df = (a + b) ** 2 / ((a * a / (n1 - 1)) + (b * b / (n2 - 1)))
    return t_p((m1 - m2) / math.sqrt(a + b), df)
