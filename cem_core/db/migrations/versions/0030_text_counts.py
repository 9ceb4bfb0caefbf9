"""Journeys at scale: analysed comments per batch kept by the database itself (``text_counts``), so the text
cells' completeness check (``text.report.cells_complete``, asked by every text read and by the journey map)
reads no comment rows on Postgres.

There that check was a ``count(*)`` of ``response_text``: a full scan (Postgres' visibility rules leave no
cheaper exact count), 0.15-0.17 s at 1M responses, which alone took the journey map for 12 months to 1.7 full
scans of ``responses``. ``text_counts`` holds each batch's number of ``response_text`` rows, kept by
statement-level triggers with transition tables on ``response_text`` (one grouped INSERT ... ON CONFLICT per
INSERT or COPY statement, one UPDATE per DELETE, including cascades from ``responses`` and import batches), so
every writer (imports, the demo, text re-analysis, undo, deletion on request) keeps it in its own transaction
without knowing about it, as ``response_counts`` (0023) does for ``responses``. No writer moves a comment to
another batch; if one ever did, the counts would differ and the check would send the text reads to the rows
(slower, never wrong). SQLite keeps ``count(*)``: it
counts the smallest index, and a row trigger there would cost every imported comment.

Revision ID: 0030
Revises: 0029
"""

from __future__ import annotations

from alembic import op

from cem_core.db.models import text_counts

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

_FUNCTIONS = """
CREATE FUNCTION text_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO text_counts (batch_id, comments)
    SELECT batch_id, count(*) FROM new_rows GROUP BY batch_id
    ON CONFLICT (batch_id) DO UPDATE SET comments = text_counts.comments + excluded.comments;
    RETURN NULL;
END $$;
CREATE FUNCTION text_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE text_counts c SET comments = c.comments - d.n
    FROM (SELECT batch_id, count(*) AS n FROM old_rows GROUP BY batch_id) d WHERE c.batch_id = d.batch_id;
    RETURN NULL;
END $$;
CREATE TRIGGER text_counts_insert AFTER INSERT ON response_text REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION text_counts_insert();
CREATE TRIGGER text_counts_delete AFTER DELETE ON response_text REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION text_counts_delete();
"""


def upgrade() -> None:
    bind = op.get_bind()
    text_counts.create(bind)
    if bind.dialect.name != "postgresql":
        return
    op.execute("INSERT INTO text_counts (batch_id, comments) SELECT batch_id, count(*) FROM response_text "
               "GROUP BY batch_id")
    op.execute(_FUNCTIONS)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER text_counts_insert ON response_text; DROP TRIGGER text_counts_delete ON "
                   "response_text; DROP FUNCTION text_counts_insert(); DROP FUNCTION text_counts_delete()")
    text_counts.drop(bind)
