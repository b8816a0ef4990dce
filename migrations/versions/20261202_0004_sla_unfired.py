"""Partial indexes for the SLA tick: promises not announced yet, level-1 escalations not acknowledged

Revision ID: 0004_sla_unfired
Revises: 0003_tickets
Create Date: 2026-12-02 08:00:00.000000

The plain ``due_at`` and ``at_risk_at`` indexes also held every clock already announced (a broken
promise of a ticket still open) and every stopped clock (NULL): the tick walked the first kind on each
run. The partial indexes hold only the running clocks whose alarm is still owed. The tick also looks
for level-1 escalations left unacknowledged past their timeout: a partial index of those.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_sla_unfired'
down_revision = '0003_tickets'
branch_labels = None
depends_on = None

UNFIRED_DUE = "breach_fired_at IS NULL AND due_at IS NOT NULL"
UNFIRED_AT_RISK = "at_risk_fired_at IS NULL AND at_risk_at IS NOT NULL"
LEVEL1_UNACKED = "level = 1 AND acknowledged_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_clocks_due_at'))
        batch_op.drop_index(batch_op.f('ix_sla_clocks_at_risk_at'))
        batch_op.create_index('ix_sla_clocks_due_unfired', ['due_at'], unique=False,
                              sqlite_where=sa.text(UNFIRED_DUE), postgresql_where=sa.text(UNFIRED_DUE))
        batch_op.create_index('ix_sla_clocks_at_risk_unfired', ['at_risk_at'], unique=False,
                              sqlite_where=sa.text(UNFIRED_AT_RISK), postgresql_where=sa.text(UNFIRED_AT_RISK))
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.create_index('ix_escalations_level1_unacked', ['raised_at'], unique=False,
                              sqlite_where=sa.text(LEVEL1_UNACKED), postgresql_where=sa.text(LEVEL1_UNACKED))


def downgrade() -> None:
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_index('ix_escalations_level1_unacked')
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_sla_clocks_at_risk_unfired')
        batch_op.drop_index('ix_sla_clocks_due_unfired')
        batch_op.create_index(batch_op.f('ix_sla_clocks_at_risk_at'), ['at_risk_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sla_clocks_due_at'), ['due_at'], unique=False)
