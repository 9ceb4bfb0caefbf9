"""The command line as a user runs it: a real process against a real database file."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from cem_core.config import PROJECT_ROOT


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cem_core", *args], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, env={**os.environ, "CEM_DATABASE_URL": url}, timeout=300)


def test_migrate_demo_stats_remove(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run(url, "migrate").returncode == 0
    done = run(url, "demo", "--rows", "3000", "--industry", "retail", "--seed", "5")
    assert done.returncode == 0, done.stderr
    assert "3000 responses" in done.stdout
    stats = json.loads(run(url, "stats", "--json").stdout)
    assert {"responses", "nps", "csat", "ces"} <= stats.keys()
    assert 0 < stats["responses"] <= 3000 and -100 <= stats["nps"] <= 100
    everything = json.loads(run(url, "stats", "--json", "--from", "2000-01-01").stdout)
    assert everything["responses"] == 3000
    assert "removed 3000" in run(url, "demo", "--remove").stdout
    assert json.loads(run(url, "stats", "--json").stdout)["responses"] == 0


def test_bad_arguments_fail_clearly(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    bad = run(url, "stats", "--from", "yesterday")
    assert bad.returncode == 1 and "--from" in bad.stderr  # bad input is 1; 2 and up are environment faults
    assert run(url, "demo", "--industry", "spaceship").returncode == 1
