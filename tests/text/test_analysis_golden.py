"""The whole analysis gives, field for field, the output frozen in ``tests/data/analysis_golden.json.gz``
(see ``tests/text/golden.py``): speed work on tokens, sentiment and topics must not move any result."""

from __future__ import annotations

import math

import pytest

from tests.text.golden import CHUNK, Analyzers, cases, digests, load, run


@pytest.fixture(scope="module")
def golden() -> dict:
    return load()


def _same(got: list | None, want: list | None) -> bool:
    if got is None or want is None:
        return got is want
    return got[:4] == want[:4] and math.isclose(got[4], want[4], rel_tol=0, abs_tol=1e-12) and got[5:] == want[5:]


def _check(golden: dict, analyzers: Analyzers, cold: bool, limit: int | None = None) -> None:
    for name, kind, items in cases(golden):
        items = items[:limit]
        got = run(analyzers, items, cold=cold)
        want = golden["outputs"][name]
        if kind == "full":
            assert limit is not None or len(got) == len(want), name
            bad = [(items[i], g, w) for i, (g, w) in enumerate(zip(got, want, strict=False)) if not _same(g, w)]
            assert not bad, f"{name}: {len(bad)} outputs differ, first {bad[:3]}"
        else:
            have = digests(got)
            assert limit is not None or len(have) == len(want), name
            bad_chunks = [i for i, (h, w) in enumerate(zip(have, want, strict=False)) if h != w]
            assert not bad_chunks, (f"{name}: chunks {bad_chunks[:5]} differ (comments {bad_chunks[0] * CHUNK}.."
                                    f"{bad_chunks[0] * CHUNK + CHUNK - 1}: {items[bad_chunks[0] * CHUNK][1]!r}...); "
                                    "python -m tests.text.golden --dump on both checkouts and diff")


def test_every_output_matches_the_golden_file(golden: dict) -> None:
    """As imports run it: one analyzer per industry, its clause memo warm."""
    _check(golden, Analyzers(), cold=False)


def test_outputs_do_not_depend_on_the_clause_memo(golden: dict) -> None:
    """Every clause new (memo emptied before each comment) gives the same outputs, on the first chunks."""
    _check(golden, Analyzers(), cold=True, limit=4 * CHUNK)
