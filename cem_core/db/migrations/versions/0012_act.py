"""Act: routing rules, action items with history and comments, root causes, Excel exports, improvement actions.

Seeds the two shipped routing rules (a detractor with contact details -> customer service call-back in 48
hours; a negative comment about a touchpoint -> its owner department within 5 working days) and the
default root-cause list, both editable afterwards. New tables only: existing data is untouched.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ROOT_CAUSES = (
    ("product", "产品缺陷", "Product defect"),
    ("service_attitude", "服务态度", "Staff attitude"),
    ("process", "流程问题", "Process problem"),
    ("waiting", "等待时间过长", "Waiting time"),
    ("price", "价格与费用", "Price and fees"),
    ("communication", "沟通误解", "Miscommunication"),
    ("external", "外部因素", "External cause"),
    ("other", "其他", "Other"),
)
# (position, name, conditions JSON, department code or None = touchpoint owner, kind, priority, hours, working)
RULES = (
    (1, "Detractor call-back / 贬损者回访", '{"nps": [0, 6], "has_contact": true}', "customer_service",
     "callback", "high", 48.0, False),
    (2, "Negative comment to touchpoint owner / 负面评论转触点部门",
     '{"sentiment": ["negative"], "has_comment": true, "has_touchpoint": true}', None, "review", "medium",
     45.0, True),
)


def upgrade() -> None:
    op.create_table('action_exports',
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('departments', sa.Text(), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('token')
    )
    op.create_table('action_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('department_code', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.String(length=8), nullable=False),
    sa.Column('sla_hours', sa.Float(), nullable=False),
    sa.Column('sla_working', sa.Boolean(), nullable=False),
    sa.Column('updated_by', sa.String(length=128), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('root_causes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=128), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('improvement_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('anchor_kind', sa.String(length=16), nullable=False),
    sa.Column('anchor_code', sa.String(length=128), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('owner', sa.String(length=128), nullable=True),
    sa.Column('metric', sa.String(length=8), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('action_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('touchpoint_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('owner', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('first_contact_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('root_cause_id', sa.Integer(), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.Column('source_undone', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('updated_by', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_action_items_batch_id'), 'action_items', ['batch_id'], unique=False)
    op.create_index('ix_action_items_created', 'action_items', ['created_at'], unique=False)
    op.create_index(op.f('ix_action_items_customer_id'), 'action_items', ['customer_id'], unique=False)
    op.create_index('ix_action_items_dept_status', 'action_items', ['department_id', 'status', 'due_at'], unique=False)
    op.create_index('ix_action_items_due', 'action_items', ['due_at', 'id'], unique=False)
    op.create_index('ux_action_items_response_dept', 'action_items', ['response_id', 'department_id'], unique=True)
    op.create_table('action_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['action_items.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_action_comments_item_id'), 'action_comments', ['item_id'], unique=False)
    op.create_table('action_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('old', sa.Text(), nullable=True),
    sa.Column('new', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['action_items.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_action_events_item_id'), 'action_events', ['item_id'], unique=False)
    now = dt.datetime.now()
    op.bulk_insert(sa.table("root_causes", sa.column("code"), sa.column("name_zh"), sa.column("name_en"),
                            sa.column("active", sa.Boolean)),
                   [{"code": c, "name_zh": zh, "name_en": en, "active": True} for c, zh, en in ROOT_CAUSES])
    cols = ("position", "name", "conditions", "department_code", "kind", "priority", "sla_hours", "sla_working")
    op.bulk_insert(sa.table("action_rules", *(sa.column(c) for c in cols), sa.column("enabled", sa.Boolean),
                            sa.column("updated_by"), sa.column("updated_at", sa.DateTime)),
                   [{**dict(zip(cols, r, strict=True)), "enabled": True, "updated_by": "system", "updated_at": now}
                    for r in RULES])


def downgrade() -> None:
    op.drop_index(op.f('ix_action_events_item_id'), table_name='action_events')
    op.drop_table('action_events')
    op.drop_index(op.f('ix_action_comments_item_id'), table_name='action_comments')
    op.drop_table('action_comments')
    op.drop_index('ux_action_items_response_dept', table_name='action_items')
    op.drop_index('ix_action_items_due', table_name='action_items')
    op.drop_index('ix_action_items_dept_status', table_name='action_items')
    op.drop_index(op.f('ix_action_items_customer_id'), table_name='action_items')
    op.drop_index('ix_action_items_created', table_name='action_items')
    op.drop_index(op.f('ix_action_items_batch_id'), table_name='action_items')
    op.drop_table('action_items')
    op.drop_table('improvement_actions')
    op.drop_table('root_causes')
    op.drop_table('action_rules')
    op.drop_table('action_exports')
