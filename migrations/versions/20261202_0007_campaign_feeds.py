"""Campaign feeds: callbacks, follow-ups, notifications; survey ratings

Revision ID: 0007_campaign_feeds
Revises: 0006_campaigns
Create Date: 2026-12-02 04:25:06.283862

What fills the campaigns by itself (``campaigns.feed`` and its ``rules``: abandoned calls, callbacks
agents schedule, resolved tickets, notification items), where each contact came from and why (shown on
the callback's pop), who owns an agent's callback and until when, and the satisfaction ratings, one
per contact; the call log indexed by ActionID (attempts are reconciled by it); an attempt whose
outcome an IVR reported (``reported``) holds its line until the call ends. Columns added to
existing rows get server defaults (they are NOT NULL).
"""
from alembic import op
import sqlalchemy as sa
import cti.store.base


revision = '0007_campaign_feeds'
down_revision = '0006_campaigns'
branch_labels = None
depends_on = None

_PENDING = "state = 'pending'"
_BUSY_BEFORE = "state IN ('claimed', 'dialled')"
_BUSY = "state IN ('claimed', 'dialled', 'reported')"


def upgrade() -> None:
    # the due contacts in the claim's order (next_at, id): many due at one moment are read, not sorted
    with op.batch_alter_table('campaign_contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_contacts_due', sqlite_where=sa.text(_PENDING), postgresql_where=sa.text(_PENDING))
        batch_op.create_index('ix_campaign_contacts_due', ['campaign_id', 'next_at', 'id'], unique=False,
                              sqlite_where=sa.text(_PENDING), postgresql_where=sa.text(_PENDING))
    # an attempt whose outcome an IVR reported still holds its line until the call ends: counted as busy
    with op.batch_alter_table('campaign_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_attempts_busy', sqlite_where=sa.text(_BUSY_BEFORE),
                            postgresql_where=sa.text(_BUSY_BEFORE))
        batch_op.create_index('ix_campaign_attempts_busy', ['campaign_id'], unique=False,
                              sqlite_where=sa.text(_BUSY), postgresql_where=sa.text(_BUSY))
    op.create_index('ix_calls_action_id', 'calls', ['action_id'], unique=False,
                    sqlite_where=sa.text("action_id <> ''"), postgresql_where=sa.text("action_id <> ''"))
    op.create_table('survey_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.String(length=40), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('agent', sa.String(length=64), nullable=False),
    sa.Column('engineer_id', sa.Integer(), nullable=True),
    sa.Column('product_model', sa.String(length=100), nullable=False),
    sa.Column('service_type', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('comment', sa.String(length=1000), nullable=False),
    sa.Column('keyed_by', sa.String(length=64), nullable=False),
    sa.Column('keyed_at', cti.store.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_survey_ratings_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['campaign_contacts.id'], name=op.f('fk_survey_ratings_contact_id_campaign_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_survey_ratings_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['engineer_id'], ['engineers.id'], name=op.f('fk_survey_ratings_engineer_id_engineers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_survey_ratings_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_ratings')),
    sa.UniqueConstraint('contact_id', name=op.f('uq_survey_ratings_contact_id'))
    )
    with op.batch_alter_table('survey_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_ratings_agent'), ['agent'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_ratings_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_ratings_engineer_id'), ['engineer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_ratings_keyed_at'), ['keyed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_ratings_product_model'), ['product_model'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_ratings_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('campaign_contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=20), nullable=False, server_default="manual"))
        batch_op.add_column(sa.Column('reason', sa.String(length=500), nullable=False, server_default=""))
        batch_op.add_column(sa.Column('origin_call_id', sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('owner_until', cti.store.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('notification_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_campaign_contacts_owner_id'), ['owner_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_campaign_contacts_notification_id_ticket_notifications'), 'ticket_notifications', ['notification_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_campaign_contacts_owner_id_users'), 'users', ['owner_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed', sa.String(length=20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column('rules', sa.JSON(), nullable=False, server_default='{}'))



def downgrade() -> None:
    with op.batch_alter_table('campaign_contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_contacts_due', sqlite_where=sa.text(_PENDING), postgresql_where=sa.text(_PENDING))
        batch_op.create_index('ix_campaign_contacts_due', ['campaign_id', 'next_at'], unique=False,
                              sqlite_where=sa.text(_PENDING), postgresql_where=sa.text(_PENDING))
    with op.batch_alter_table('campaign_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_attempts_busy', sqlite_where=sa.text(_BUSY), postgresql_where=sa.text(_BUSY))
        batch_op.create_index('ix_campaign_attempts_busy', ['campaign_id'], unique=False,
                              sqlite_where=sa.text(_BUSY_BEFORE), postgresql_where=sa.text(_BUSY_BEFORE))
    op.drop_index('ix_calls_action_id', table_name='calls', sqlite_where=sa.text("action_id <> ''"),
                  postgresql_where=sa.text("action_id <> ''"))
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('rules')
        batch_op.drop_column('feed')

    with op.batch_alter_table('campaign_contacts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_campaign_contacts_owner_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_campaign_contacts_notification_id_ticket_notifications'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_campaign_contacts_owner_id'))
        batch_op.drop_column('notification_id')
        batch_op.drop_column('owner_until')
        batch_op.drop_column('owner_id')
        batch_op.drop_column('origin_call_id')
        batch_op.drop_column('reason')
        batch_op.drop_column('source')

    with op.batch_alter_table('survey_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_ratings_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_survey_ratings_product_model'))
        batch_op.drop_index(batch_op.f('ix_survey_ratings_keyed_at'))
        batch_op.drop_index(batch_op.f('ix_survey_ratings_engineer_id'))
        batch_op.drop_index(batch_op.f('ix_survey_ratings_campaign_id'))
        batch_op.drop_index(batch_op.f('ix_survey_ratings_agent'))

    op.drop_table('survey_ratings')
