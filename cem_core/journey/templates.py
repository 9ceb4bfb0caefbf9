"""The journey an installation measures: ordered stages, touchpoints and their owners, edited by an admin.

The six industry templates (hotel, airline, bank, auto, insurance, retail; zh and en) are the catalog's
``INDUSTRIES``; installing one upserts its stages and touchpoints by code (``reference.ensure_industry``).
After that an admin adds, renames, reorders, retires and re-owns them here; every edit is one audited
transaction (action ``journey_edit``, detail = what changed), so the audit log is the template's history.

Names an import met that matched nothing became new rows flagged ``needs_mapping``
(``ingest.resolve``). ``unmapped`` lists them; ``map_name`` folds one into an existing stage or
touchpoint (its responses move, the rollup follows) and remembers the name as a synonym, so the next
file with that name lands on the target. ``keep_as_new`` accepts it as a genuine new element. Nothing is
dropped: until mapped, those responses stay visible under their own name.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
from sqlalchemy import Connection, Engine, Select, and_, func, select, update

from cem_core import audit
from cem_core.analyze import rollup
from cem_core.analyze.queries import read_frame
from cem_core.db import write_transaction
from cem_core.db.models import AuditEntry, Department, JourneyLayout, JourneyStage, Response, Touchpoint
from cem_core.demo.catalog import INDUSTRIES
from cem_core.i18n import name_col
from cem_core.journey.synonyms import remember, set_layout
from cem_core.reference import ensure_industry
from cem_core.text import store as text_store

KINDS = ("stage", "touchpoint")
EDIT_ACTION = "journey_edit"
_stages = JourneyStage.__table__
_tps = Touchpoint.__table__
_layout = JourneyLayout.__table__
_audit = AuditEntry.__table__
_dept = Department.__table__
_resp = Response.__table__

class JourneyEditError(ValueError):
    """An edit that cannot be applied; ``key`` is an i18n message key, ``params`` its parameters."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key, self.params = key, params


def install_template(engine: Engine, industry: str, actor: str) -> dict[str, dict[str, int]]:
    """Upsert an industry template's stages and touchpoints (existing rows and edits are kept)."""
    if industry not in INDUSTRIES:
        raise JourneyEditError("journey.err.unknown_industry", industry=industry)
    with write_transaction(engine) as conn:
        ids = ensure_industry(conn, INDUSTRIES[industry])
        audit.record(conn, actor, EDIT_ACTION, target=f"template:{industry}", detail={"op": "install"})
    return ids


def layout(engine: Engine, lang: str, include_retired: bool = False) -> pd.DataFrame:
    """The journey in order: one row per touchpoint (stages without touchpoints get one row with
    ``touchpoint_id`` None). Columns: stage_id, stage_code, stage, stage_order, touchpoint_id, tp_code,
    touchpoint, tp_order, department, department_code, stage_retired, tp_retired, needs_mapping.

    The map and the curve ask for it on every call. Reading the template's rows is a small join (< 1 ms); ordering
    them in pandas cost 5-16 ms a call at load (a third of a filtered map's own work), so the ordered frame is
    kept per the rows read (``_ordered``): any edit, an import's new names or a remap changes the rows and hence
    the key, so no version has to be kept in step with the writers. A copy is returned, as callers add columns."""
    with engine.connect() as conn:
        result = conn.execute(_layout_sql(name_col(lang)))
        rows = tuple(tuple(r) for r in result.fetchall())
        return _ordered(tuple(result.keys()), rows, include_retired).copy()


@lru_cache(maxsize=4)
def _layout_sql(name: str) -> Select:
    """The template's rows, built once per language column."""
    st_l = _layout.alias("sl")
    tp_l = _layout.alias("tl")
    return (select(_stages.c.id.label("stage_id"), _stages.c.code.label("stage_code"),
                   _stages.c[name].label("stage"), _stages.c.position.label("stage_position"),
                   _tps.c.id.label("touchpoint_id"), _tps.c.code.label("tp_code"), _tps.c[name].label("touchpoint"),
                   func.coalesce(tp_l.c.position, _tps.c.id).label("tp_position"),
                   _dept.c[name].label("department"), _dept.c.code.label("department_code"),
                   func.coalesce(st_l.c.retired, False).label("stage_retired"),
                   func.coalesce(tp_l.c.retired, False).label("tp_retired"),
                   func.coalesce(st_l.c.needs_mapping, False).label("stage_needs_mapping"),
                   func.coalesce(tp_l.c.needs_mapping, False).label("tp_needs_mapping"))
            .select_from(_stages.outerjoin(_tps, _tps.c.stage_id == _stages.c.id)
                         .outerjoin(_dept, _dept.c.id == _tps.c.department_id)
                         .outerjoin(st_l, and_(st_l.c.kind == "stage", st_l.c.ref_id == _stages.c.id))
                         .outerjoin(tp_l, and_(tp_l.c.kind == "touchpoint", tp_l.c.ref_id == _tps.c.id))))


@lru_cache(maxsize=16)
def _ordered(columns: tuple[str, ...], rows: tuple[tuple, ...], include_retired: bool) -> pd.DataFrame:
    """``layout``'s frame from the template's rows (callers get a copy: this one is shared)."""
    frame = pd.DataFrame.from_records(list(rows), columns=list(columns))
    if frame.empty:
        return frame.assign(stage_order=pd.Series(dtype=int), tp_order=pd.Series(dtype=int))
    for col in ("stage_retired", "tp_retired", "stage_needs_mapping", "tp_needs_mapping"):
        frame[col] = frame[col].astype(bool)
    if not include_retired:
        frame = frame[~frame["stage_retired"] & ~frame["tp_retired"]]
    frame = frame.sort_values(["stage_position", "stage_id", "tp_position", "touchpoint_id"]).reset_index(drop=True)
    frame["stage_order"] = frame.groupby("stage_id", sort=False).ngroup()
    frame["tp_order"] = frame.groupby("stage_id", sort=False).cumcount()
    frame["touchpoint_id"] = frame["touchpoint_id"].astype("Int64")
    return frame.drop(columns=["stage_position", "tp_position"])


def _table(kind: str):
    if kind not in KINDS:
        raise JourneyEditError("journey.err.unknown_kind", kind=kind)
    return _stages if kind == "stage" else _tps


def _exists(conn: Connection, kind: str, ref_id: int) -> dict:
    table = _table(kind)
    row = conn.execute(select(table).where(table.c.id == ref_id)).mappings().first()
    if row is None:
        raise JourneyEditError("journey.err.not_found", kind=kind, id=ref_id)
    return dict(row)


def _clean(name: str) -> str:
    value = " ".join(str(name or "").split())
    if not value or len(value) > 128:
        raise JourneyEditError("journey.err.bad_name")
    return value


def _free_code(conn: Connection, table, base: str, **scope: object) -> str:
    where = [table.c[k] == v for k, v in scope.items()]
    taken = set(conn.execute(select(table.c.code).where(*where)).scalars())
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}_{n}"
    return code


def _record(conn: Connection, actor: str, kind: str, ref_id: int, op: str, **detail: object) -> None:
    audit.record(conn, actor, EDIT_ACTION, target=f"{kind}:{ref_id}", detail={"op": op, **detail})


def add_stage(engine: Engine, name_zh: str, name_en: str, actor: str) -> int:
    """A new stage at the end of the journey."""
    zh, en = _clean(name_zh), _clean(name_en)
    with write_transaction(engine) as conn:
        pos = conn.execute(select(func.coalesce(func.max(_stages.c.position), -1))).scalar_one() + 1
        code = _free_code(conn, _stages, f"custom_stage_{pos}")
        sid = int(conn.execute(_stages.insert().values(code=code, name_zh=zh, name_en=en, position=pos))
                  .inserted_primary_key[0])
        _record(conn, actor, "stage", sid, "add", name_zh=zh, name_en=en)
    return sid


def add_touchpoint(engine: Engine, stage_id: int, name_zh: str, name_en: str, department: str | None,
                   actor: str) -> int:
    """A new touchpoint at the end of a stage, owned by ``department`` (a code) or nobody."""
    zh, en = _clean(name_zh), _clean(name_en)
    with write_transaction(engine) as conn:
        _exists(conn, "stage", stage_id)
        dept_id = _department_id(conn, department)
        code = _free_code(conn, _tps, "custom_tp", stage_id=stage_id)
        tid = int(conn.execute(_tps.insert().values(stage_id=stage_id, code=code, name_zh=zh, name_en=en,
                                                    department_id=dept_id)).inserted_primary_key[0])
        last = conn.execute(select(func.max(func.coalesce(_layout.c.position, _layout.c.ref_id))).select_from(
            _tps.outerjoin(_layout, and_(_layout.c.kind == "touchpoint", _layout.c.ref_id == _tps.c.id))).where(
            _tps.c.stage_id == stage_id)).scalar()
        set_layout(conn, "touchpoint", tid, position=max(int(last or 0), tid) + 1)
        _record(conn, actor, "touchpoint", tid, "add", stage_id=stage_id, name_zh=zh, name_en=en,
                department=department)
    return tid


def _department_id(conn: Connection, code: str | None) -> int | None:
    if not code:
        return None
    found = conn.execute(select(_dept.c.id).where(_dept.c.code == code)).scalar()
    if found is None:
        raise JourneyEditError("journey.err.unknown_department", department=code)
    return int(found)


def rename(engine: Engine, kind: str, ref_id: int, name_zh: str, name_en: str, actor: str) -> None:
    zh, en = _clean(name_zh), _clean(name_en)
    table = _table(kind)
    with write_transaction(engine) as conn:
        old = _exists(conn, kind, ref_id)
        conn.execute(update(table).where(table.c.id == ref_id).values(name_zh=zh, name_en=en))
        _record(conn, actor, kind, ref_id, "rename", old_zh=old["name_zh"], old_en=old["name_en"], name_zh=zh,
                name_en=en)


def set_owner(engine: Engine, touchpoint_id: int, department: str | None, actor: str) -> None:
    with write_transaction(engine) as conn:
        old = _exists(conn, "touchpoint", touchpoint_id)
        conn.execute(update(_tps).where(_tps.c.id == touchpoint_id).values(
            department_id=_department_id(conn, department)))
        old_code = conn.execute(select(_dept.c.code).where(_dept.c.id == old["department_id"])).scalar()
        _record(conn, actor, "touchpoint", touchpoint_id, "set_owner", old=old_code, department=department)


def retire(engine: Engine, kind: str, ref_id: int, actor: str, retired: bool = True) -> None:
    """Hide a stage or touchpoint from the map and curves (its responses stay); ``retired=False`` restores."""
    with write_transaction(engine) as conn:
        _exists(conn, kind, ref_id)
        set_layout(conn, kind, ref_id, retired=retired)
        _record(conn, actor, kind, ref_id, "retire" if retired else "restore")


def move(engine: Engine, kind: str, ref_id: int, step: int, actor: str) -> None:
    """Move a stage (among stages) or touchpoint (within its stage) ``step`` places (-1 earlier, +1 later)."""
    with write_transaction(engine) as conn:
        row = _exists(conn, kind, ref_id)
        frame = layout_for_move(conn, kind, row)
        ids = frame.tolist()
        i = ids.index(ref_id)
        j = min(max(i + step, 0), len(ids) - 1)
        if i == j:
            return
        ids.insert(j, ids.pop(i))
        for pos, rid in enumerate(ids):
            if kind == "stage":
                conn.execute(update(_stages).where(_stages.c.id == rid).values(position=pos))
            else:
                set_layout(conn, "touchpoint", rid, position=pos)
        _record(conn, actor, kind, ref_id, "move", old=i, new=j)


def layout_for_move(conn: Connection, kind: str, row: dict) -> pd.Series:
    """Ids of the siblings of a stage or touchpoint, in their current order."""
    if kind == "stage":
        rows = conn.execute(select(_stages.c.id).order_by(_stages.c.position, _stages.c.id)).scalars().all()
        return pd.Series(rows, dtype=int)
    rows = conn.execute(select(_tps.c.id, func.coalesce(_layout.c.position, _tps.c.id)).select_from(
        _tps.outerjoin(_layout, and_(_layout.c.kind == "touchpoint", _layout.c.ref_id == _tps.c.id))).where(
        _tps.c.stage_id == row["stage_id"])).all()
    return pd.Series([rid for rid, _ in sorted(rows, key=lambda r: (r[1], r[0]))], dtype=int)


def history(engine: Engine, limit: int = 200) -> pd.DataFrame:
    """The journey's edits, newest first, from the audit log: at, actor, target, detail (JSON)."""
    stmt = select(_audit.c.at, _audit.c.actor, _audit.c.target, _audit.c.detail).where(
        _audit.c.action == EDIT_ACTION).order_by(_audit.c.id.desc()).limit(limit)
    return read_frame(engine, stmt)


# --- imported names that matched nothing -------------------------------------------------------------------

def unmapped(engine: Engine, lang: str) -> pd.DataFrame:
    """Stages and touchpoints created by imports from names that matched nothing: kind, id, name, stage,
    responses. An admin maps each to the template or keeps it."""
    name = name_col(lang)
    out = []
    for kind, table, col in (("stage", _stages, _resp.c.stage_id), ("touchpoint", _tps, _resp.c.touchpoint_id)):
        n = select(func.count()).where(col == table.c.id).scalar_subquery()
        cols = [table.c.id, table.c.name_zh.label("name"), n.label("responses")]
        if kind == "touchpoint":
            cols.append(select(_stages.c[name]).where(_stages.c.id == table.c.stage_id).scalar_subquery()
                        .label("stage"))
        stmt = select(*cols).join(_layout, and_(_layout.c.kind == kind, _layout.c.ref_id == table.c.id)).where(
            _layout.c.needs_mapping.is_(True)).order_by(table.c.id)
        frame = read_frame(engine, stmt)
        if not frame.empty:
            out.append(frame.assign(kind=kind))
    if not out:
        return pd.DataFrame(columns=["kind", "id", "name", "stage", "responses"])
    frame = pd.concat(out, ignore_index=True)
    if "stage" not in frame:
        frame["stage"] = None
    return frame[["kind", "id", "name", "stage", "responses"]]


def map_name(engine: Engine, kind: str, source_id: int, target_id: int, actor: str) -> int:
    """Fold an unmapped stage or touchpoint into ``target_id``: its responses move there (rollup rebuilt for
    the batches concerned), the name is remembered as a synonym, the unmapped row goes. Returns rows moved."""
    table = _table(kind)
    if source_id == target_id:
        raise JourneyEditError("journey.err.same")
    with write_transaction(engine) as conn:
        src = _exists(conn, kind, source_id)
        dst = _exists(conn, kind, target_id)
        col = _resp.c.stage_id if kind == "stage" else _resp.c.touchpoint_id
        batches = set(conn.execute(select(_resp.c.batch_id).where(col == source_id).distinct()).scalars())
        if kind == "stage":
            moved = conn.execute(update(_resp).where(col == source_id).values(stage_id=target_id)).rowcount
            _fold_stage_touchpoints(conn, source_id, target_id, actor)
        else:
            moved = conn.execute(update(_resp).where(col == source_id).values(
                touchpoint_id=target_id, stage_id=dst["stage_id"])).rowcount
        for name in {src["name_zh"], src["name_en"]}:
            remember(conn, kind, name, target_id, actor)
        rollup.rebuild_batches(conn, batches)
        text_store.rebuild_batches(conn, batches)  # the text rollups are keyed by stage and touchpoint too
        conn.execute(_layout.delete().where(_layout.c.kind == kind, _layout.c.ref_id == source_id))
        conn.execute(table.delete().where(table.c.id == source_id))
        _record(conn, actor, kind, target_id, "map_name", source=source_id, name=src["name_zh"], rows=int(moved or 0))
    return int(moved or 0)


def _fold_stage_touchpoints(conn: Connection, source: int, target: int, actor: str) -> None:
    """Touchpoints of a stage being mapped move to the target stage, merging with a same-coded one."""
    existing = dict(conn.execute(select(_tps.c.code, _tps.c.id).where(_tps.c.stage_id == target)).all())
    for tid, code in conn.execute(select(_tps.c.id, _tps.c.code).where(_tps.c.stage_id == source)).all():
        if code in existing:
            conn.execute(update(_resp).where(_resp.c.touchpoint_id == tid).values(touchpoint_id=existing[code]))
            conn.execute(_layout.delete().where(_layout.c.kind == "touchpoint", _layout.c.ref_id == tid))
            conn.execute(_tps.delete().where(_tps.c.id == tid))
        else:
            conn.execute(update(_tps).where(_tps.c.id == tid).values(stage_id=target))


def keep_as_new(engine: Engine, kind: str, ref_id: int, actor: str) -> None:
    """Accept an unmapped name as a genuine new stage or touchpoint of the journey."""
    with write_transaction(engine) as conn:
        _exists(conn, kind, ref_id)
        set_layout(conn, kind, ref_id, needs_mapping=False)
        _record(conn, actor, kind, ref_id, "keep_as_new")
