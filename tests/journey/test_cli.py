"""``python -m cem_core peakend`` as a user runs it: a real process on the shared demo database."""

from __future__ import annotations

import json

from tests.test_cli import run


def test_peakend_json(demo_sqlite_url: str) -> None:
    done = run(demo_sqlite_url, "peakend", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["journeys"] > 1000
    for name in ("peak_end", "mean", "peak", "end", "trough"):
        assert -1 <= out[name]["r"] <= 1 and out[name]["ci"][0] <= out[name]["r"] <= out[name]["ci"][1]
    assert out["winner"] == "peak_end" and out["clear"] is True
    narrowed = json.loads(run(demo_sqlite_url, "peakend", "--json", "--from", "2026-01-01",
                              "--channel", "sms_survey", "--channel", "app").stdout)
    assert 0 < narrowed["journeys"] < out["journeys"]
    text = run(demo_sqlite_url, "peakend")
    assert "winner: peak_end" in text.stdout and "journeys:" in text.stdout


def test_peakend_bad_measure(demo_sqlite_url: str) -> None:
    assert run(demo_sqlite_url, "peakend", "--measure", "mood").returncode == 1  # bad input (faults: 2+ environment)
