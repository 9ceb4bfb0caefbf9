"""Journey templates: install, admin edits with history, and imported names that match nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from cem_core.analyze.queries import rollup_is_complete
from cem_core.db.models import Response
from cem_core.demo.catalog import INDUSTRIES
from cem_core.ingest.load import import_file
from cem_core.journey import templates as tpl
from tests.fixtures.ingest_files import write_csv

HEADER = ["日期", "满意度", "旅程阶段", "触点", "意见"]


@pytest.mark.parametrize("industry", sorted(INDUSTRIES))
def test_every_template_installs_in_order_with_owners(sqlite_engine: Engine, industry: str) -> None:
    tpl.install_template(sqlite_engine, industry, "admin")
    ind = INDUSTRIES[industry]
    for lang in ("zh", "en"):
        lay = tpl.layout(sqlite_engine, lang)
        stages = lay.drop_duplicates("stage_id")["stage"].tolist()
        assert stages == [s.zh if lang == "zh" else s.en for s in ind.stages]
        first = ind.stages[0]
        rows = lay[lay["stage_code"] == first.code]
        assert rows["touchpoint"].tolist() == [t.zh if lang == "zh" else t.en for t in first.touchpoints]
        assert rows["department_code"].tolist() == [t.department for t in first.touchpoints]


def test_admin_edits_and_history(engine: Engine) -> None:
    ids = tpl.install_template(engine, "hotel", "admin")
    sid = tpl.add_stage(engine, "售后回访", "Follow-up call", "admin")
    tid = tpl.add_touchpoint(engine, sid, "回访电话", "Follow-up call", "customer_service", "admin")
    tpl.rename(engine, "touchpoint", ids["touchpoint"]["arrival/check_in"], "前台登记", "Front desk", "admin")
    tpl.move(engine, "stage", sid, -1, "admin")  # before loyalty
    tpl.move(engine, "touchpoint", ids["touchpoint"]["stay/wifi"], -2, "admin")  # first in its stage
    tpl.retire(engine, "touchpoint", ids["touchpoint"]["arrival/parking"], "admin")
    tpl.set_owner(engine, ids["touchpoint"]["stay/room"], "product", "admin")
    lay = tpl.layout(engine, "en")
    stages = lay.drop_duplicates("stage_id")["stage_code"].tolist()
    assert stages[-2:] == [stages[-2], "loyalty"] and lay.loc[lay["touchpoint_id"] == tid, "stage_order"].item() == 6
    stay = lay[lay["stage_code"] == "stay"]["tp_code"].tolist()
    assert stay == ["wifi", "room", "breakfast"]
    assert "parking" not in lay["tp_code"].tolist()
    assert "parking" in tpl.layout(engine, "en", include_retired=True)["tp_code"].tolist()
    assert lay.loc[lay["tp_code"] == "check_in", "touchpoint"].item() == "Front desk"
    assert lay.loc[lay["tp_code"] == "room", "department_code"].item() == "product"
    hist = tpl.history(engine)
    ops = [json.loads(d)["op"] for d in hist["detail"]]
    assert ops == ["set_owner", "retire", "move", "move", "rename", "add", "add", "install"]
    rename = json.loads(hist["detail"][4])
    assert rename["old_en"] == "Front-desk check-in" and rename["name_en"] == "Front desk"
    tpl.retire(engine, "touchpoint", ids["touchpoint"]["arrival/parking"], "admin", retired=False)
    assert "parking" in tpl.layout(engine, "en")["tp_code"].tolist()


def test_bad_edits_are_refused_with_a_message_key(sqlite_engine: Engine) -> None:
    tpl.install_template(sqlite_engine, "hotel", "admin")
    with pytest.raises(tpl.JourneyEditError) as err:
        tpl.rename(sqlite_engine, "stage", 9999, "x", "x", "admin")
    assert err.value.key == "journey.err.not_found"
    with pytest.raises(tpl.JourneyEditError) as err:
        tpl.add_stage(sqlite_engine, "  ", "x", "admin")
    assert err.value.key == "journey.err.bad_name"
    with pytest.raises(tpl.JourneyEditError):
        tpl.install_template(sqlite_engine, "spaceship", "admin")


def _responses_in(engine: Engine, stage_id: int) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Response).where(Response.stage_id == stage_id)).scalar()


def test_unknown_stage_is_listed_mapped_and_remembered(engine: Engine, tmp_path: Path) -> None:
    ids = tpl.install_template(engine, "hotel", "admin")
    rows = [["2025-03-01", "4", "售后回访", "", "ok"], ["2025-03-02", "2", "售后回访", "", "bad"],
            ["2025-03-03", "5", "check in", "", "fine"]]  # a built-in synonym of arrival
    report = import_file(engine, write_csv(tmp_path / "a.csv", HEADER, rows), user="u")
    assert report.rows_imported == 3
    todo = tpl.unmapped(engine, "zh")
    assert todo[["kind", "name", "responses"]].values.tolist() == [["stage", "售后回访", 2]]
    assert _responses_in(engine, ids["stage"]["arrival"]) == 1
    moved = tpl.map_name(engine, "stage", int(todo["id"][0]), ids["stage"]["loyalty"], "admin")
    assert moved == 2 and tpl.unmapped(engine, "zh").empty
    assert _responses_in(engine, ids["stage"]["loyalty"]) == 2 and rollup_is_complete(engine)
    # the next file with the same name lands on the mapped stage: nothing new to map
    more = [["2025-04-01", "3", "售后 回访", "", "again"]]
    assert import_file(engine, write_csv(tmp_path / "b.csv", HEADER, more), user="u").rows_imported == 1
    assert tpl.unmapped(engine, "zh").empty
    assert _responses_in(engine, ids["stage"]["loyalty"]) == 3
    assert json.loads(tpl.history(engine)["detail"][0])["op"] == "map_name"


def test_unknown_touchpoint_mapped_and_kept(sqlite_engine: Engine, tmp_path: Path) -> None:
    ids = tpl.install_template(sqlite_engine, "hotel", "admin")
    rows = [["2025-03-01", "4", "入住", "自助入住机", "ok"], ["2025-03-01", "4", "入住", "礼宾服务", "ok"]]
    import_file(sqlite_engine, write_csv(tmp_path / "a.csv", HEADER, rows), user="u")
    todo = tpl.unmapped(sqlite_engine, "zh").set_index("name")
    assert set(todo.index) == {"自助入住机", "礼宾服务"} and set(todo["kind"]) == {"touchpoint"}
    tpl.map_name(sqlite_engine, "touchpoint", int(todo.loc["自助入住机", "id"]),
                 ids["touchpoint"]["arrival/check_in"], "admin")
    tpl.keep_as_new(sqlite_engine, "touchpoint", int(todo.loc["礼宾服务", "id"]), "admin")
    assert tpl.unmapped(sqlite_engine, "zh").empty
    # remembered even when typed under another stage
    import_file(sqlite_engine, write_csv(tmp_path / "b.csv", HEADER, [["2025-03-02", "2", "住宿", "自助入住机", "x"]]),
                user="u")
    with sqlite_engine.connect() as conn:
        got = conn.execute(select(Response.touchpoint_id, Response.stage_id).where(Response.comment == "x")).one()
    assert tuple(got) == (ids["touchpoint"]["arrival/check_in"], ids["stage"]["arrival"])
    assert tpl.unmapped(sqlite_engine, "zh").empty

