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


def test_stats_names_its_window_and_all_covers_every_date(tmp_path) -> None:
    """Issue 11 point 3: the JSON carries the window it measured; --all counts every row; --help says the
    default window."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run(url, "demo", "--rows", "2000", "--seed", "3", "--end", "2024-06-30").returncode == 0
    default = json.loads(run(url, "stats", "--json").stdout)
    assert default["to"] == "2024-06-30" and default["from"] == "2023-07-02"  # 365 days, inclusive
    assert default["responses"] < 2000
    everything = json.loads(run(url, "stats", "--json", "--all").stdout)
    assert everything["responses"] == 2000 and everything["to"] == "2024-06-30"
    assert everything["from"] < default["from"]
    chosen = json.loads(run(url, "stats", "--json", "--from", "2024-01-01", "--to", "2024-01-31").stdout)
    assert (chosen["from"], chosen["to"]) == ("2024-01-01", "2024-01-31")
    text = run(url, "stats").stdout
    assert "from: 2023-07-02" in text
    help_text = " ".join(run(url, "stats", "--help").stdout.split())
    assert "Default window: the 365 days ending on the newest response's day" in help_text
    assert "--all" in help_text
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    nothing = json.loads(run(empty, "stats", "--json", "--all").stdout)
    assert {"from", "to"} <= nothing.keys() and nothing["responses"] == 0
