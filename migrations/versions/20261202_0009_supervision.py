"""The organisation tree and the queues' wallboard settings

Revision ID: 0009_supervision
Revises: 0008_campaign_admin
Create Date: 2026-12-02 13:11:38.639939

``org_units``: branches and what is below them (cti.org); people, service outlets and queues are placed
in it (``org_unit_id``, empty: the head office). ``queue_settings``: a queue's label, branch and the
thresholds its wallboard figures are measured and coloured against (cti.supervision.targets).
"""
from alembic import op
import sqlalchemy as sa
import cti.store.base


revision = '0009_supervision'
down_revision = '0008_campaign_admin'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('org_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('created_at', cti.store.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['org_units.id'], name=op.f('fk_org_units_parent_id_org_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_units')),
    sa.UniqueConstraint('name', name=op.f('uq_org_units_name'))
    )
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_units_parent_id'), ['parent_id'], unique=False)

    op.create_table('queue_settings',
    sa.Column('queue', sa.String(length=80), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=True),
    sa.Column('service_level_seconds', sa.Float(), nullable=False),
    sa.Column('short_abandon_seconds', sa.Float(), nullable=False),
    sa.Column('service_level_amber', sa.Float(), nullable=False),
    sa.Column('service_level_red', sa.Float(), nullable=False),
    sa.Column('abandon_rate_amber', sa.Float(), nullable=False),
    sa.Column('abandon_rate_red', sa.Float(), nullable=False),
    sa.Column('longest_wait_amber', sa.Float(), nullable=False),
    sa.Column('longest_wait_red', sa.Float(), nullable=False),
    sa.Column('waiting_amber', sa.Float(), nullable=False),
    sa.Column('waiting_red', sa.Float(), nullable=False),
    sa.Column('asa_amber', sa.Float(), nullable=False),
    sa.Column('asa_red', sa.Float(), nullable=False),
    sa.Column('updated_at', cti.store.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'], name=op.f('fk_queue_settings_org_unit_id_org_units'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('queue', name=op.f('pk_queue_settings'))
    )
    with op.batch_alter_table('queue_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_settings_org_unit_id'), ['org_unit_id'], unique=False)

    with op.batch_alter_table('service_outlets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_unit_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_service_outlets_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_service_outlets_org_unit_id_org_units'), 'org_units', ['org_unit_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_unit_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_org_unit_id_org_units'), 'org_units', ['org_unit_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_org_unit_id_org_units'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_org_unit_id'))
        batch_op.drop_column('org_unit_id')

    with op.batch_alter_table('service_outlets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_service_outlets_org_unit_id_org_units'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_service_outlets_org_unit_id'))
        batch_op.drop_column('org_unit_id')

    with op.batch_alter_table('queue_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_queue_settings_org_unit_id'))

    op.drop_table('queue_settings')
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_units_parent_id'))

    op.drop_table('org_units')
