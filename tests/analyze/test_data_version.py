"""Caches of every app server are keyed by ``queries.data_version``: each kind of write must move it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from cem_core.analyze.queries import data_version
from cem_core.db.settings_store import set_value
from cem_core.demo.generator import load_demo, remove_demo
from cem_core.ingest.load import import_file
from cem_core.ingest.undo import undo_batch
from cem_core.privacy.deletion import delete_customers, find_customers
from tests.analyze.test_rollups import import_rows
from tests.db.test_bulk import HEADER
from tests.fixtures.ingest_files import write_csv


def test_every_writer_moves_the_data_version(engine: Engine, tmp_path: Path) -> None:
    seen = [data_version(engine)]

    def moved() -> bool:
        seen.append(data_version(engine))
        return seen[-1] != seen[-2]

    load_demo(engine, rows=300, seed=7)
    assert moved()
    report = import_file(engine, write_csv(tmp_path / "a.csv", HEADER, import_rows(40)), user="u")
    assert moved()
    delete_customers(engine, find_customers(engine, kind="phone", value="13700000003"), actor="u",
                     matched_by="phone")
    assert moved()
    undo_batch(engine, report.batch_id, "u")
    assert moved()
    set_value(engine, "some_setting", "0")
    assert moved()
    set_value(engine, "some_setting", "1")  # same length, other value
    assert moved()
    remove_demo(engine)
    assert moved()
    assert not moved()  # and it is stable while nothing changes
