"""Campaign admin: progress indexes, import jobs

Revision ID: 0008_campaign_admin
Revises: 0007_campaign_feeds
Create Date: 2026-12-02 04:31:25.304669

What the supervisors' pages read (``cti.campaigns.queries``): a campaign's contacts counted by state and
outcome from an index alone, its attempts by time (attempts today, the attempts export), the
do-not-call list newest first; and ``campaign_imports``, a CSV import of contacts with its progress
and per-row report, which every process can read (the page polls it).
"""
from alembic import op
import sqlalchemy as sa
import cti.store.base


revision = '0008_campaign_admin'
down_revision = '0007_campaign_feeds'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaign_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('do_not_call', sa.Integer(), nullable=False),
    sa.Column('invalid', sa.Integer(), nullable=False),
    sa.Column('encoding', sa.String(length=20), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('error', sa.String(length=300), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('started_at', cti.store.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cti.store.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', cti.store.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_imports_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_imports'))
    )
    with op.batch_alter_table('campaign_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_imports_campaign_id'), ['campaign_id'], unique=False)

    with op.batch_alter_table('campaign_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_attempts_claimed', ['campaign_id', 'claimed_at'], unique=False)

    with op.batch_alter_table('campaign_contacts', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_contacts_progress', ['campaign_id', 'state', 'outcome'], unique=False)

    with op.batch_alter_table('do_not_call', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_do_not_call_added_at'), ['added_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('do_not_call', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_do_not_call_added_at'))

    with op.batch_alter_table('campaign_contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_contacts_progress')

    with op.batch_alter_table('campaign_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_attempts_claimed')

    with op.batch_alter_table('campaign_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_imports_campaign_id'))

    op.drop_table('campaign_imports')
