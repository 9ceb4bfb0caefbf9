"""What the close-the-loop figures read instead of every item: kept by the database itself.

Items are written by many hands: routing inside imports and the backfill, status changes, the Excel
import, the demo, the undo of a batch, and the database (``ON DELETE CASCADE`` / ``SET NULL``) under the
deletion on request, which deletes rows without knowing what they are. Triggers on ``action_items`` catch
them all, in the writer's own transaction:

- ``action_rollup``: per day of creation and department, items opened, done (resolved or closed), with a
  due time, and resolved after it. Unresolved items past due move with the clock: read live
  (``ix_action_items_unresolved``, partial on ``resolved_at IS NULL``).
- ``action_contact_hist``: per day and department, how many items had their first contact after how
  many whole minutes; the median is read off these counts, exact to the minute as before.
- ``action_items.recovered`` (resolved detractor items only): whether the customer answered again at NPS
  7+ after the resolution. It also depends on ``responses``, so triggers there set it when such an answer
  arrives and recompute it when answers are deleted (undo, deletion on request) or moved.

SQLite has row triggers only (each an upsert of one rollup row, a few microseconds; the responses
trigger fires only for answers at NPS 7+ of a known customer). Postgres gets statement-level triggers
with transition tables (one grouped upsert per INSERT, COPY, UPDATE or DELETE statement) and row
triggers with a WHEN condition for ``recovered``, evaluated without calling a function.
"""

from __future__ import annotations

from sqlalchemy import Connection

from cem_core.act.items import DONE_STATUSES

_DONE = ", ".join(f"'{s}'" for s in DONE_STATUSES)
_COUNTS = ("opened", "done", "with_due", "breached")
_TRIGGERS = {  # table -> triggers, for the downgrade
    "action_items": ("action_loop_insert", "action_loop_update", "action_loop_delete",
                     "action_recovered_insert", "action_recovered_update"),
    "responses": ("responses_recovery_insert", "responses_recovery_delete", "responses_recovery_update"),
}


def _counts(p: str) -> list[str]:
    """opened, done, with_due, breached of the row with column prefix ``p`` (``NEW.``, ``OLD.`` or ``''``):
    the definitions of ``act.figures``, breached without the part that moves with the clock."""
    return ["1", f"CASE WHEN {p}status IN ({_DONE}) THEN 1 ELSE 0 END",
            f"CASE WHEN {p}due_at IS NOT NULL THEN 1 ELSE 0 END",
            f"CASE WHEN {p}due_at IS NOT NULL AND {p}resolved_at > {p}due_at THEN 1 ELSE 0 END"]


def _day(dialect: str, p: str) -> str:
    return f"CAST({p}created_at AS date)" if dialect == "postgresql" else f"substr({p}created_at, 1, 10)"


def _minutes(dialect: str, p: str) -> str:
    """Whole minutes from creation to first contact: the expression the figures used on the items."""
    if dialect == "postgresql":
        return f"CAST(round(EXTRACT(epoch FROM {p}first_contact_at - {p}created_at) / 3600.0 * 60.0) AS bigint)"
    return f"CAST(round((julianday({p}first_contact_at) - julianday({p}created_at)) * 24.0 * 60.0) AS INTEGER)"


def _recovered(p: str) -> str:
    """``recovered`` of the item with column prefix ``p``: NULL unless resolved, of a known customer and
    from a detractor response; then whether a later answer at NPS 7+ exists (index
    ``ix_responses_customer_recovery``)."""
    return (f"CASE WHEN {p}resolved_at IS NULL OR {p}customer_id IS NULL OR coalesce((SELECT s.nps FROM "
            f"responses s WHERE s.id = {p}response_id), 99) > 6 THEN NULL WHEN EXISTS (SELECT 1 FROM responses "
            f"l WHERE l.customer_id = {p}customer_id AND l.nps >= 7 AND l.occurred_at > {p}resolved_at) "
            "THEN 1 ELSE 0 END")


def _upsert_sum(table: str, keys: tuple[str, ...], values: tuple[str, ...], select: str) -> str:
    sets = ", ".join(f"{v} = {table}.{v} + excluded.{v}" for v in values)
    return (f"INSERT INTO {table} ({', '.join(keys + values)}) {select} "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}")


def _row_rollup(dialect: str, sign: str, p: str) -> list[str]:
    """The two upserts adding (sign '+') or taking away (sign '-') the row ``p`` from the rollups."""
    counts = ", ".join(f"{sign}({c})" for c in _counts(p))
    rollup = _upsert_sum("action_rollup", ("day", "department_id"), _COUNTS,
                         f"SELECT {_day(dialect, p)}, {p}department_id, {counts} WHERE true")
    hist = _upsert_sum("action_contact_hist", ("department_id", "minutes", "day"), ("contacted",),
                       f"SELECT {p}department_id, {_minutes(dialect, p)}, {_day(dialect, p)}, {sign}1 "
                       f"WHERE {p}first_contact_at IS NOT NULL")
    return [rollup, hist]


_WATCHED = ("department_id", "created_at", "status", "due_at", "resolved_at", "first_contact_at")


def _sqlite_ddl() -> list[str]:
    def trigger(name: str, event: str, table: str, body: list[str], when: str = "") -> str:
        when = f" WHEN {when}" if when else ""
        return f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} BEGIN {'; '.join(body)}; END"

    return [
        trigger("action_loop_insert", "INSERT", "action_items", _row_rollup("sqlite", "+", "NEW.")),
        trigger("action_loop_delete", "DELETE", "action_items", _row_rollup("sqlite", "-", "OLD.")),
        trigger("action_loop_update", f"UPDATE OF {', '.join(_WATCHED)}", "action_items",
                _row_rollup("sqlite", "-", "OLD.") + _row_rollup("sqlite", "+", "NEW.")),
        # Recursive triggers are off, so these UPDATEs of the same row fire no trigger of their own.
        trigger("action_recovered_insert", "INSERT", "action_items",
                [f"UPDATE action_items SET recovered = {_recovered('NEW.')} WHERE id = NEW.id"],
                "NEW.resolved_at IS NOT NULL"),
        trigger("action_recovered_update", "UPDATE OF resolved_at, customer_id, response_id", "action_items",
                [f"UPDATE action_items SET recovered = {_recovered('NEW.')} WHERE id = NEW.id"]),
        trigger("responses_recovery_insert", "INSERT", "responses",
                ["UPDATE action_items SET recovered = 1 WHERE customer_id = NEW.customer_id AND recovered = 0 "
                 "AND resolved_at < NEW.occurred_at"], "NEW.nps >= 7 AND NEW.customer_id IS NOT NULL"),
        trigger("responses_recovery_delete", "DELETE", "responses",
                [f"UPDATE action_items SET recovered = {_recovered('action_items.')} "
                 "WHERE customer_id = OLD.customer_id AND recovered = 1"],
                "OLD.nps >= 7 AND OLD.customer_id IS NOT NULL"),
        trigger("responses_recovery_update", "UPDATE OF customer_id, nps, occurred_at", "responses",
                [f"UPDATE action_items SET recovered = {_recovered('action_items.')} WHERE customer_id IN "
                 "(OLD.customer_id, NEW.customer_id) OR response_id = NEW.id"]),
    ]


def _pg_rollup_select(rows: str, sign: str) -> tuple[str, str]:
    counts = ", ".join(f"{sign}({c})" for c in _counts(""))
    rollup = f"SELECT {_day('postgresql', '')} AS day, department_id, {counts} FROM {rows}"
    hist = (f"SELECT department_id, {_minutes('postgresql', '')} AS minutes, {_day('postgresql', '')} AS day, "
            f"{sign}1 FROM {rows} WHERE first_contact_at IS NOT NULL")
    return rollup, hist


def _pg_apply(parts: list[tuple[str, str]]) -> str:
    """Grouped upserts of the rollups from the given (rollup select, hist select) pairs."""
    rollup = " UNION ALL ".join(p[0] for p in parts)
    hist = " UNION ALL ".join(p[1] for p in parts)
    sums = ", ".join(f"sum(c{i})" for i in range(len(_COUNTS)))
    named = ", ".join(f"c{i}" for i in range(len(_COUNTS)))
    return (_upsert_sum("action_rollup", ("day", "department_id"), _COUNTS,
                        f"SELECT day, department_id, {sums} FROM ({rollup}) AS r (day, department_id, {named}) "
                        "GROUP BY day, department_id") + ";\n    "
            + _upsert_sum("action_contact_hist", ("department_id", "minutes", "day"), ("contacted",),
                          f"SELECT department_id, minutes, day, sum(n) FROM ({hist}) AS h (department_id, minutes, "
                          "day, n) GROUP BY department_id, minutes, day") + ";")


def _pg_ddl() -> list[str]:
    def function(name: str, body: str) -> str:
        return (f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    {body}\n"
                "    RETURN NULL;\nEND $$")

    def row_function(name: str, body: str) -> str:
        return f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    {body}\nEND $$"

    new, old = _pg_rollup_select("new_rows", ""), _pg_rollup_select("old_rows", "-")
    # an UPDATE counts only the rows whose counted columns changed (not an owner change, not ``recovered``)
    changed = (f"FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE ({', '.join('o.' + c for c in _WATCHED)}) "
               f"IS DISTINCT FROM ({', '.join('n.' + c for c in _WATCHED)})")
    moved_old = _pg_rollup_select(f"(SELECT o.* {changed}) AS x", "-")
    moved_new = _pg_rollup_select(f"(SELECT n.* {changed}) AS x", "")
    return [
        function("action_loop_insert", _pg_apply([new])),
        function("action_loop_delete", _pg_apply([old])),
        function("action_loop_update", _pg_apply([moved_old, moved_new])),
        "CREATE TRIGGER action_loop_insert AFTER INSERT ON action_items REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION action_loop_insert()",
        "CREATE TRIGGER action_loop_delete AFTER DELETE ON action_items REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION action_loop_delete()",
        # One grouped upsert per statement: a row trigger updates the same few rollup rows once per item,
        # and within one transaction each update leaves a row version the next one walks past (give_lives
        # at 100k items: minutes). Bulk writers therefore update many items per statement (act.demo).
        "CREATE TRIGGER action_loop_update AFTER UPDATE ON action_items REFERENCING OLD TABLE AS old_rows "
        "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION action_loop_update()",
        row_function("action_recovered", f"NEW.recovered := {_recovered('NEW.')};\n    RETURN NEW;"),
        "CREATE TRIGGER action_recovered_insert BEFORE INSERT ON action_items FOR EACH ROW "
        "WHEN (NEW.resolved_at IS NOT NULL) EXECUTE FUNCTION action_recovered()",
        "CREATE TRIGGER action_recovered_update BEFORE UPDATE ON action_items FOR EACH ROW WHEN "
        "(OLD.resolved_at IS DISTINCT FROM NEW.resolved_at OR OLD.customer_id IS DISTINCT FROM NEW.customer_id "
        "OR OLD.response_id IS DISTINCT FROM NEW.response_id) EXECUTE FUNCTION action_recovered()",
        function("responses_recovery_insert",
                 "UPDATE action_items i SET recovered = 1 FROM (SELECT customer_id, max(occurred_at) AS at FROM "
                 "new_rows WHERE nps >= 7 AND customer_id IS NOT NULL GROUP BY customer_id) n "
                 "WHERE i.customer_id = n.customer_id AND i.recovered = 0 AND i.resolved_at < n.at;"),
        function("responses_recovery_delete",
                 f"UPDATE action_items SET recovered = {_recovered('action_items.')} WHERE recovered = 1 AND "
                 "customer_id IN (SELECT customer_id FROM old_rows WHERE nps >= 7);"),
        row_function("responses_recovery_update",
                     f"UPDATE action_items SET recovered = {_recovered('action_items.')} WHERE customer_id IN "
                     "(OLD.customer_id, NEW.customer_id) OR response_id = NEW.id;\n    RETURN NULL;"),
        "CREATE TRIGGER responses_recovery_insert AFTER INSERT ON responses REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION responses_recovery_insert()",
        "CREATE TRIGGER responses_recovery_delete AFTER DELETE ON responses REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION responses_recovery_delete()",
        "CREATE TRIGGER responses_recovery_update AFTER UPDATE ON responses FOR EACH ROW WHEN "
        "(OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.nps IS DISTINCT FROM NEW.nps "
        "OR OLD.occurred_at IS DISTINCT FROM NEW.occurred_at) EXECUTE FUNCTION responses_recovery_update()",
    ]


def backfill(conn: Connection) -> None:
    """Fill the rollups and ``recovered`` from the stored items (before the triggers exist)."""
    dialect = conn.dialect.name
    day = _day(dialect, "")
    sums = ", ".join(f"sum({c})" for c in _counts(""))
    conn.exec_driver_sql(f"INSERT INTO action_rollup (day, department_id, {', '.join(_COUNTS)}) "
                         f"SELECT {day}, department_id, {sums} FROM action_items GROUP BY {day}, department_id")
    minutes = _minutes(dialect, "")
    conn.exec_driver_sql(f"INSERT INTO action_contact_hist (department_id, minutes, day, contacted) "
                         f"SELECT department_id, {minutes}, {day}, count(*) FROM action_items "
                         f"WHERE first_contact_at IS NOT NULL GROUP BY department_id, {minutes}, {day}")
    conn.exec_driver_sql(f"UPDATE action_items SET recovered = {_recovered('action_items.')} "
                         "WHERE resolved_at IS NOT NULL")


def create_triggers(conn: Connection) -> None:
    for ddl in _pg_ddl() if conn.dialect.name == "postgresql" else _sqlite_ddl():
        conn.exec_driver_sql(ddl)


def drop_triggers(conn: Connection) -> None:
    pg = conn.dialect.name == "postgresql"
    for table, names in _TRIGGERS.items():
        for name in names:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if pg else ""))
    if pg:
        for name in ("action_loop_insert", "action_loop_update", "action_loop_delete", "action_recovered",
                     "responses_recovery_insert", "responses_recovery_delete", "responses_recovery_update"):
            conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")
