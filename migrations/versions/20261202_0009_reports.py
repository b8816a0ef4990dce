"""reports: daily aggregates per queue, agent and product model; products by model and purchase date

The aggregates are derived data (cti/supervision/reports_build.py): `cti reports rebuild --from --to`
fills them for the days before this migration; the service keeps yesterday and today current.

Revision ID: 0009_reports
Revises: 0008_campaign_admin
Create Date: 2026-12-02 12:31:26.466735
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_reports'
down_revision = '0008_campaign_admin'
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
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_model_purchase', ['model', 'purchase_date'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_model_purchase')

    op.drop_table('report_queue_days')
    op.drop_table('report_model_days')
    op.drop_table('report_agent_days')
