"""Reports: daily aggregates per queue, agent, product model and SLA promise; two indexes they read

The aggregates are derived data (cti/supervision/reports_build.py): `cti reports rebuild --from --to`
fills them for the days before this migration; the service keeps the recent days current. Products
are counted per model from (model, purchase_date); the faults are read from the completion reports
of a period (completed_at).

Revision ID: 0010_reports
Revises: 0009_supervision
Create Date: 2026-12-02 13:00:49.462754
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_reports'
down_revision = '0009_supervision'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_agent_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('agent', sa.String(length=120), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('offered', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('abandoned', sa.Integer(), nullable=False),
    sa.Column('short_abandoned', sa.Integer(), nullable=False),
    sa.Column('answered_in_time', sa.Integer(), nullable=False),
    sa.Column('wait_answered', sa.Float(), nullable=False),
    sa.Column('handle_time', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'agent', 'city', name=op.f('pk_report_agent_days'))
    )
    op.create_table('report_model_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('tickets', sa.Integer(), nullable=False),
    sa.Column('complaints', sa.Integer(), nullable=False),
    sa.Column('repairs', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'model', 'city', name=op.f('pk_report_model_days'))
    )
    op.create_table('report_promise_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('service_type', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('engineer_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('outlet_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('clocks', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'service_type', 'kind', 'city', 'engineer_id', 'outlet_id', 'outcome', name=op.f('pk_report_promise_days'))
    )
    op.create_table('report_queue_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('queue', sa.String(length=80), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('offered', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('abandoned', sa.Integer(), nullable=False),
    sa.Column('short_abandoned', sa.Integer(), nullable=False),
    sa.Column('answered_in_time', sa.Integer(), nullable=False),
    sa.Column('wait_answered', sa.Float(), nullable=False),
    sa.Column('handle_time', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'queue', 'city', name=op.f('pk_report_queue_days'))
    )
    with op.batch_alter_table('completion_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_completion_reports_completed_at'), ['completed_at'], unique=False)

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_model_purchase', ['model', 'purchase_date'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_model_purchase')

    with op.batch_alter_table('completion_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_completion_reports_completed_at'))

    op.drop_table('report_queue_days')
    op.drop_table('report_promise_days')
    op.drop_table('report_model_days')
    op.drop_table('report_agent_days')
