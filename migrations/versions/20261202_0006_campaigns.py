"""Campaigns: contacts, attempts claimed before dialling, the do-not-call list

Revision ID: 0006_campaigns
Revises: 0005_ticket_list
Create Date: 2026-12-02 02:38:38.209698

A contact is due while ``pending`` once ``next_at`` passed (a partial index of those); an attempt is
claimed before it is dialled and counts against its campaign's lines while ``claimed`` or ``dialled``
(a partial index of those); its ``action_id`` is unique, and so is each contact's n-th attempt.
"""
from alembic import op
import sqlalchemy as sa
import cti.store.base


revision = '0006_campaigns'
down_revision = '0005_ticket_list'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('mode', sa.String(length=12), nullable=False),
    sa.Column('dial', sa.String(length=120), nullable=False),
    sa.Column('context', sa.String(length=80), nullable=False),
    sa.Column('caller_id', sa.String(length=80), nullable=False),
    sa.Column('queue', sa.String(length=80), nullable=False),
    sa.Column('window', sa.JSON(), nullable=False),
    sa.Column('allow_holidays', sa.Boolean(), nullable=False),
    sa.Column('max_concurrent', sa.Integer(), nullable=False),
    sa.Column('per_minute', sa.Float(), nullable=False),
    sa.Column('retry', sa.JSON(), nullable=False),
    sa.Column('starts_at', cti.store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ends_at', cti.store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_dial_at', cti.store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', cti.store.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cti.store.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    sa.UniqueConstraint('name', name=op.f('uq_campaigns_name'))
    )
    op.create_table('do_not_call',
    sa.Column('e164', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('added_by', sa.String(length=64), nullable=False),
    sa.Column('added_at', cti.store.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('e164', name=op.f('pk_do_not_call'))
    )
    op.create_table('campaign_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('e164', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=120), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_at', cti.store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', cti.store.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cti.store.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_contacts_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_campaign_contacts_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_campaign_contacts_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_contacts')),
    sa.UniqueConstraint('campaign_id', 'dedupe_key', name=op.f('uq_campaign_contacts_campaign_id_dedupe_key'))
    )
    with op.batch_alter_table('campaign_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_contacts_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('ix_campaign_contacts_due', ['campaign_id', 'next_at'], unique=False, sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'"))
        batch_op.create_index(batch_op.f('ix_campaign_contacts_e164'), ['e164'], unique=False)

    op.create_table('campaign_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('cause', sa.Integer(), nullable=True),
    sa.Column('call_id', sa.String(length=64), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=False),
    sa.Column('claimed_at', cti.store.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dialled_at', cti.store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', cti.store.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_attempts_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['campaign_contacts.id'], name=op.f('fk_campaign_attempts_contact_id_campaign_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_attempts')),
    sa.UniqueConstraint('action_id', name=op.f('uq_campaign_attempts_action_id')),
    sa.UniqueConstraint('contact_id', 'number', name=op.f('uq_campaign_attempts_contact_id_number'))
    )
    with op.batch_alter_table('campaign_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_attempts_busy', ['campaign_id'], unique=False, sqlite_where=sa.text("state IN ('claimed', 'dialled')"), postgresql_where=sa.text("state IN ('claimed', 'dialled')"))
        batch_op.create_index(batch_op.f('ix_campaign_attempts_contact_id'), ['contact_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('campaign_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_attempts_contact_id'))
        batch_op.drop_index('ix_campaign_attempts_busy', sqlite_where=sa.text("state IN ('claimed', 'dialled')"), postgresql_where=sa.text("state IN ('claimed', 'dialled')"))

    op.drop_table('campaign_attempts')
    with op.batch_alter_table('campaign_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_contacts_e164'))
        batch_op.drop_index('ix_campaign_contacts_due', sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'"))
        batch_op.drop_index(batch_op.f('ix_campaign_contacts_campaign_id'))

    op.drop_table('campaign_contacts')
    op.drop_table('do_not_call')
    op.drop_table('campaigns')
