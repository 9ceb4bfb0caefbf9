"""Journeys at scale: peak-end under a channel filter together with a region reads one covering index,
``ix_responses_region_channel`` (region, channel_id, occurred_date, stage_id, journey_key, journey_step,
touchpoint_id, csat, nps, ces, overall_sat; Postgres includes id).

A channel, stage or department filter takes touchpoints out of journeys, so no journey rollup answers it and
peak-end groups the filtered rows by journey (``journey.peakend._row_pieces``). With a region as well no index
covered that read: SQLite read the region's 300k entries of ``ix_responses_region_segment`` and looked every
match up in the table, Postgres scanned ``responses`` (12 months + app + 华东 at 1M: 2.3-3.1x a full scan on
SQLite, 1.5-1.9x on Postgres). This index holds one region's rows of the chosen channels in date order with
every column that read uses, so only the matching entries are read.

An index only: existing data is kept, and every writer keeps it (the database does). A database created from
scratch has it from the head models.

Revision ID: 0036
Revises: 0035
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cem_core.db.models import REGION_CHANNEL_COLUMNS

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

NAME = "ix_responses_region_channel"


def upgrade() -> None:
    bind = op.get_bind()
    if NAME not in {i["name"] for i in sa.inspect(bind).get_indexes("responses")}:
        op.create_index(NAME, "responses", list(REGION_CHANNEL_COLUMNS), postgresql_include=["id"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="responses")
