"""The server settings that keep a rerun cheap under many sessions (bench/bench_load.py measured both)."""

from __future__ import annotations

import tomllib

from cem_core.config import PROJECT_ROOT


def test_server_config_skips_per_rerun_housekeeping() -> None:
    """After every script run Streamlit by default resolved the path of every imported module (the source
    watcher) and ran a full ``gc.collect(2)`` over the whole heap, holding the GIL: together most of the
    server's CPU per rerun. Both stay off; ``--server.fileWatcherType auto`` brings live reload back."""
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["fileWatcherType"] == "none"
    assert config["runner"]["postScriptGC"] is False
