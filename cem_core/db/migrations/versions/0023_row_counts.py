"""Scale: a row count per batch kept by the database itself, so the rollup check reads no rows; the
spend of every row in the month cells, so the overview reads cells; attribute-rating counts per cell.

Every page checks that the rollups cover exactly the stored rows before reading them (``analyze.rollup``
``complete``). On Postgres that was a ``count(*)`` of ``responses``: a full scan (its visibility rules
leave no cheaper exact count) costing 0.5-1.25 reference scans per analysis query at 1M rows.
``response_counts`` holds each batch's number of rows, kept by statement-level triggers with transition
tables (one grouped INSERT ... ON CONFLICT per INSERT or COPY statement, one UPDATE per DELETE, whatever
the writer), in the writer's own transaction; concurrent imports touch different rows. The check then
compares two tables of one row per batch. SQLite keeps ``count(*)``: it counts the smallest index, a few
hundredths of a scan, and a row trigger there would cost ~10 us per imported row.

``analysis_rollup.spend`` (spend of all the cell's rows; the cells held it per NPS score only, missing rows
without an NPS) and ``rating_rollup`` (ratings per score, attribute and cell) are new; every rollup is then
rebuilt from the rows by the writers' own code (``analyze.rollup.rebuild_all``, moved here from 0014, as it
writes the head schema): about a scan of responses and ratings per batch, tens of seconds at 1M rows.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cem_core.analyze.rollup import rebuild_all
from cem_core.db.models import journey_cell, journey_region_cell, rating_rollup, response_counts, touchpoint_cell

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_FUNCTIONS = """
CREATE FUNCTION response_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO response_counts (batch_id, responses)
    SELECT batch_id, count(*) FROM new_rows GROUP BY batch_id
    ON CONFLICT (batch_id) DO UPDATE SET responses = response_counts.responses + excluded.responses;
    RETURN NULL;
END $$;
CREATE FUNCTION response_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE response_counts c SET responses = c.responses - d.n
    FROM (SELECT batch_id, count(*) AS n FROM old_rows GROUP BY batch_id) d WHERE c.batch_id = d.batch_id;
    RETURN NULL;
END $$;
CREATE TRIGGER response_counts_insert AFTER INSERT ON responses REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION response_counts_insert();
CREATE TRIGGER response_counts_delete AFTER DELETE ON responses REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION response_counts_delete();
"""


def upgrade() -> None:
    bind = op.get_bind()
    if "spend" not in {c["name"] for c in sa.inspect(bind).get_columns("analysis_rollup")}:  # 0014 made it at head
        op.add_column("analysis_rollup", sa.Column("spend", sa.Float(), nullable=False, server_default=sa.text("0")))
    rating_rollup.create(bind)
    response_counts.create(bind)
    # rebuild_all writes the head schema: the rollup tables later migrations add (0025's journey_cell, 0029's
    # touchpoint_cell) first.
    journey_cell.create(bind, checkfirst=True)
    journey_region_cell.create(bind, checkfirst=True)  # 0039's
    touchpoint_cell.create(bind, checkfirst=True)
    rebuild_all(bind)
    if bind.dialect.name != "postgresql":
        return
    op.execute("INSERT INTO response_counts (batch_id, responses) SELECT batch_id, count(*) FROM responses "
               "GROUP BY batch_id")
    op.execute(_FUNCTIONS)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER response_counts_insert ON responses; DROP TRIGGER response_counts_delete ON "
                   "responses; DROP FUNCTION response_counts_insert(); DROP FUNCTION response_counts_delete()")
    response_counts.drop(bind)
    rating_rollup.drop(bind)
    journey_cell.drop(bind, checkfirst=True)
    journey_region_cell.drop(bind, checkfirst=True)
    touchpoint_cell.drop(bind, checkfirst=True)
    with op.batch_alter_table("analysis_rollup") as batch:
        batch.drop_column("spend")
