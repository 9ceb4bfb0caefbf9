"""Rows per second of the row-key function against the one it replaced, in the same run.

    python bench/bench_row_keys.py [--rows 1000000]

Old: two keyed ``pandas.util.hash_pandas_object`` passes over the typed chunk, then two more over the
resolved ids (the code before issue 11, kept here only as the baseline). New: ``cem_core.ingest.row_key``
(BLAKE2b-128 over a canonical text; ``content_digests`` runs as each chunk is prepared, ``row_keys`` once
its ids are resolved, so both halves are shown). Rows look like an import: date-time, three scores, spend on
half, region, product, a 20-60 character comment, a phone, a channel id and customer id, one attribute
rating. Each figure is the best of 3 runs, in chunks of 100k rows as the importer does; the machine may
be shared, so compare the ratio, not the absolute figures.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cem_core.ingest.row_key import content_digests, rating_texts, row_keys

CHUNK = 100_000
_OLD_TEXT = ("customer_key", "phone", "email", "region", "product", "segment", "comment", "journey_key")
_OLD_NUMBERS = ("nps", "csat", "ces", "overall_sat", "spend", "journey_step")


def chunk(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    at = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 86400, n), unit="s")
    words = np.array(["服务很好", "前台热情", "房间干净", "等待太久", "价格偏高", "早餐不错", "隔音差", "checkin fast"])
    comment = pd.Series(words[rng.integers(0, 8, n)]) + " " + pd.Series(words[rng.integers(0, 8, n)]) + " " + \
        pd.Series(rng.integers(0, 10**9, n)).astype(str)
    return pd.DataFrame({
        "occurred_at": at.astype("datetime64[us]"), "nps": pd.array(rng.integers(0, 11, n), dtype="Int64"),
        "csat": pd.array(rng.integers(1, 6, n), dtype="Int64"), "ces": pd.array(rng.integers(1, 8, n), dtype="Int64"),
        "spend": np.where(rng.random(n) < 0.5, np.round(rng.random(n) * 2000, 2), np.nan),
        "region": rng.choice(["上海", "北京", "广州", "深圳"], n), "product": rng.choice(["大床房", "双床房"], n),
        "comment": comment, "phone": pd.Series(rng.integers(13_000_000_000, 13_999_999_999, n)).astype(str),
        "attribute:服务": pd.array(rng.integers(1, 6, n), dtype="Int64")})


_SECRETS = hashlib.sha256(b"row-key:" + b"k" * 64).hexdigest()
_KEYS = (_SECRETS[:16], _SECRETS[16:32])


def old_content(d: pd.DataFrame) -> list[np.ndarray]:
    """The replaced step 1 (``content_hashes`` before issue 11)."""
    keys = _KEYS
    n = len(d)
    cols: dict[str, object] = {"at": d["occurred_at"].to_numpy(dtype="datetime64[us]").view("int64")}
    for f in _OLD_TEXT:
        cols[f] = d[f].to_numpy(dtype=object, na_value=None).tolist() if f in d else [None] * n
    for f in (*_OLD_NUMBERS, "attribute:服务"):
        cols[f] = d[f].to_numpy(dtype="float64", na_value=np.nan) if f in d else np.full(n, np.nan)
    frame = pd.DataFrame(cols)
    return [pd.util.hash_pandas_object(frame, index=False, hash_key=k).to_numpy() for k in keys]


def old_keys(content: list[np.ndarray], channels: list[object]) -> list[str]:
    """The replaced step 2 (``row_keys`` before issue 11): the resolved ids mixed in; no customer."""
    keys, n = _KEYS, len(channels)
    ids = {"ch": np.array(channels, dtype="float64"), "st": np.full(n, np.nan), "tp": np.full(n, np.nan)}
    halves = [pd.util.hash_pandas_object(pd.DataFrame({"c": c, **ids}), index=False, hash_key=k).to_numpy()
              for c, k in zip(content, keys, strict=True)]
    text = np.stack(halves, axis=1).astype(">u8").tobytes().hex()
    return [text[i:i + 32] for i in range(0, len(text), 32)]


def new_content(d: pd.DataFrame) -> list[str]:
    """Step 1 as ``prepare`` runs it: the timestamps' text is made once for the insert and reused here."""
    at_s = d["occurred_at"].dt.strftime("%Y-%m-%d %H:%M:%S").tolist()
    return content_digests(d, at_s)


def new_keys(d: pd.DataFrame, channels: list[object], customers: list[object], content: list[str]) -> list[str]:
    n = len(d)
    rated = rating_texts(n, {7: d["attribute:服务"].to_numpy(dtype=object, na_value=None).tolist()})
    return row_keys(content, channels, [None] * n, [None] * n, customers, rated)


def best(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    rows = ap.parse_args().rows
    chunks = [chunk(min(CHUNK, rows - lo), lo) for lo in range(0, rows, CHUNK)]
    ids = [([1 + i % 9 for i in range(len(c))], [i for i in range(len(c))]) for c in chunks]
    contents = [new_content(c) for c in chunks]
    olds = [old_content(c) for c in chunks]
    old1 = best(lambda: [old_content(c) for c in chunks])
    old2 = best(lambda: [old_keys(o, ch) for o, (ch, _cu) in zip(olds, ids, strict=True)])
    old = old1 + old2
    step1 = best(lambda: [new_content(c) for c in chunks])
    step2 = best(lambda: [new_keys(c, ch, cu, k) for c, (ch, cu), k in zip(chunks, ids, contents, strict=True)])
    print(f"{rows:,} rows, chunks of {CHUNK:,}; best of 3")
    print(f"old step 1 (prepare)            {old1:6.2f} s  {rows / old1:>12,.0f} rows/s")
    print(f"old step 2 (after ids)          {old2:6.2f} s  {rows / old2:>12,.0f} rows/s")
    print(f"old total (hash_pandas_object)  {old:6.2f} s  {rows / old:>12,.0f} rows/s")
    print(f"new step 1 (prepare)            {step1:6.2f} s  {rows / step1:>12,.0f} rows/s")
    print(f"new step 2 (after ids)          {step2:6.2f} s  {rows / step2:>12,.0f} rows/s")
    print(f"new total                       {step1 + step2:6.2f} s  {rows / (step1 + step2):>12,.0f} rows/s"
          f"  ({(step1 + step2) / old:.2f}x the old time; "
          f"step 2 {step2 / old2:.1f}x)")


if __name__ == "__main__":
    main()
