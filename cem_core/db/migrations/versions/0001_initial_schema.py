"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('attributes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=128), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('channels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=128), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=128), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('import_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=128), nullable=True),
    sa.Column('user_name', sa.String(length=128), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('rows_imported', sa.Integer(), nullable=False),
    sa.Column('rows_skipped', sa.Integer(), nullable=False),
    sa.Column('rows_duplicate', sa.Integer(), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_batches_content_hash'), ['content_hash'], unique=False)

    op.create_table('journey_stages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=128), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_key', sa.String(length=128), nullable=True),
    sa.Column('name', sa.String(length=128), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('phone_hash', sa.String(length=64), nullable=True),
    sa.Column('email_hash', sa.String(length=64), nullable=True),
    sa.Column('segment', sa.String(length=64), nullable=True),
    sa.Column('region', sa.String(length=64), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('customer_key')
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_email_hash'), ['email_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_phone_hash'), ['phone_hash'], unique=False)

    op.create_table('touchpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=128), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], ),
    sa.ForeignKeyConstraint(['stage_id'], ['journey_stages.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('stage_id', 'code')
    )
    op.create_table('responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('row_key', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('stage_id', sa.Integer(), nullable=True),
    sa.Column('touchpoint_id', sa.Integer(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('occurred_date', sa.Date(), nullable=False),
    sa.Column('journey_key', sa.String(length=64), nullable=True),
    sa.Column('journey_step', sa.SmallInteger(), nullable=True),
    sa.Column('nps', sa.SmallInteger(), nullable=True),
    sa.Column('csat', sa.SmallInteger(), nullable=True),
    sa.Column('ces', sa.SmallInteger(), nullable=True),
    sa.Column('overall_sat', sa.SmallInteger(), nullable=True),
    sa.Column('spend', sa.Float(), nullable=True),
    sa.Column('region', sa.String(length=64), nullable=True),
    sa.Column('product', sa.String(length=128), nullable=True),
    sa.Column('segment', sa.String(length=64), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stage_id'], ['journey_stages.id'], ),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoints.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('row_key')
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_responses_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_responses_journey', ['journey_key', 'journey_step'], unique=False)
        batch_op.create_index('ix_responses_overview', ['occurred_date', 'channel_id', 'stage_id', 'nps', 'csat', 'ces', 'spend'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_product'), ['product'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_region'), ['region'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_segment'), ['segment'], unique=False)
        batch_op.create_index('ix_responses_stage_channel', ['stage_id', 'channel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_touchpoint_id'), ['touchpoint_id'], unique=False)

    op.create_table('ratings',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('attribute_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['attribute_id'], ['attributes.id'], ),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'attribute_id')
    )
    op.create_table('response_rollup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('occurred_date', sa.Date(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('stage_id', sa.Integer(), nullable=True),
    sa.Column('touchpoint_id', sa.Integer(), nullable=True),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('nps_n', sa.Integer(), nullable=False),
    sa.Column('promoters', sa.Integer(), nullable=False),
    sa.Column('detractors', sa.Integer(), nullable=False),
    sa.Column('csat_n', sa.Integer(), nullable=False),
    sa.Column('csat_top2', sa.Integer(), nullable=False),
    sa.Column('ces_n', sa.Integer(), nullable=False),
    sa.Column('ces_sum', sa.Integer(), nullable=False),
    sa.Column('ces_agree', sa.Integer(), nullable=False),
    sa.Column('spend', sa.Float(), nullable=False),
    sa.Column('detractor_spend', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], ),
    sa.ForeignKeyConstraint(['stage_id'], ['journey_stages.id'], ),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoints.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_response_rollup_batch_id'), 'response_rollup', ['batch_id'], unique=False)
    op.create_index('ix_rollup_day', 'response_rollup', ['occurred_date', 'channel_id', 'stage_id'], unique=False)


def downgrade() -> None:
    op.drop_table('response_rollup')
    op.drop_table('app_settings')
    op.drop_table('ratings')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_responses_touchpoint_id'))
        batch_op.drop_index('ix_responses_stage_channel')
        batch_op.drop_index(batch_op.f('ix_responses_segment'))
        batch_op.drop_index(batch_op.f('ix_responses_region'))
        batch_op.drop_index(batch_op.f('ix_responses_product'))
        batch_op.drop_index('ix_responses_overview')
        batch_op.drop_index('ix_responses_journey')
        batch_op.drop_index(batch_op.f('ix_responses_customer_id'))
        batch_op.drop_index(batch_op.f('ix_responses_batch_id'))

    op.drop_table('responses')
    op.drop_table('touchpoints')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_phone_hash'))
        batch_op.drop_index(batch_op.f('ix_customers_email_hash'))
        batch_op.drop_index(batch_op.f('ix_customers_batch_id'))

    op.drop_table('customers')
    op.drop_table('journey_stages')
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_batches_content_hash'))

    op.drop_table('import_batches')
    op.drop_table('departments')
    op.drop_table('channels')
    op.drop_table('attributes')
