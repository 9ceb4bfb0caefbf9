"""The text commands as a user runs them: a real process against a real database file."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from PIL import Image

from cem_core.config import PROJECT_ROOT


def run(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cem_core", *args], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, env={**os.environ, "CEM_DATABASE_URL": url}, timeout=300, input=stdin)


def test_sentiment_reads_lines_and_jsonl(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    out = run(url, "sentiment", "-", stdin='前台太慢了\n{"text": "Nice pool, but the room was filthy"}\n还行吧\n')
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["label"] for r in rows] == ["negative", "negative", "neutral"]
    assert all({"label", "score", "evidence"} <= r.keys() for r in rows)
    assert any("filthy" in e for e in rows[1]["evidence"])
    path = tmp_path / "in.txt"
    path.write_text("The crew were lovely\n", encoding="utf-8")
    assert json.loads(run(url, "sentiment", str(path), "--lang", "en", "--json").stdout)["label"] == "positive"


def test_terms_topics_wordcloud_rebuild(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run(url, "demo", "--rows", "1500", "--seed", "4").returncode == 0
    terms = json.loads(run(url, "terms", "--json", "--top", "5", "--sentiment", "negative", "--from",
                           "2000-01-01").stdout)
    assert len(terms) == 5 and all({"term", "count", "sentiment"} <= t.keys() for t in terms)
    assert terms[0]["count"] >= terms[-1]["count"]
    topics = json.loads(run(url, "topics", "--json", "--channel", "sms_survey", "--from", "2000-01-01").stdout)
    assert topics and all({"topic", "n", "positive", "neutral", "negative", "nps_impact"} <= t.keys() for t in topics)
    assert all(t["positive"] + t["neutral"] + t["negative"] == t["n"] for t in topics)
    png = tmp_path / "cloud.png"
    done = run(url, "wordcloud", "--out", str(png), "--sentiment", "negative", "--from", "2000-01-01")
    assert done.returncode == 0, done.stderr
    assert Image.open(png).size == (1600, 800)
    rebuilt = run(url, "text", "rebuild")
    assert rebuilt.returncode == 0 and "re-analysed" in rebuilt.stdout
    again = json.loads(run(url, "terms", "--json", "--top", "5", "--sentiment", "negative", "--from",
                           "2000-01-01").stdout)
    assert again == terms
