"""The ticket list at a million tickets: the earliest due time kept on the ticket, composite indexes

Revision ID: 0005_ticket_list
Revises: 0004_sla_unfired
Create Date: 2026-12-02 10:00:00.000000

Sorting the list by "due" computed each ticket's earliest due time from its clocks (a subquery per
ticket); ``tickets.due_at`` now keeps it, written with ``sla_status`` whenever the clocks change, and
is filled here from the clocks. The single-column indexes on the list's low-cardinality filters
(state, type, priority, SLA status, warranty, city, model) made SQLite read every matching row and
sort it for one page; composite indexes ending in the default order (``opened_at``) read the page.

On PostgreSQL the search's ``tsvector`` is stored (``ticket_search.document``, generated from
``terms``) instead of computed from the text for every row checked: the GIN index moves to it, and a
search can walk the table's key checking each row's document cheaply.
"""
from alembic import op
import sqlalchemy as sa

import cti.store.base


revision = '0005_ticket_list'
down_revision = '0004_sla_unfired'
branch_labels = None
depends_on = None

SINGLE = ('product_model', 'service_type', 'state', 'priority', 'warranty', 'sla_status', 'city')
COMPOSITE = {
    'ix_tickets_state_opened_at': ['state', 'opened_at'],
    'ix_tickets_type_priority_opened': ['service_type', 'priority', 'opened_at'],
    'ix_tickets_priority_opened': ['priority', 'opened_at'],
    'ix_tickets_sla_open_opened': ['sla_status', 'is_open', 'opened_at'],
    'ix_tickets_city_open_opened': ['city', 'is_open', 'opened_at'],
    'ix_tickets_model_opened': ['product_model', 'opened_at'],
    'ix_tickets_open_due': ['is_open', 'due_at'],
    'ix_tickets_warranty_open_due': ['warranty', 'is_open', 'due_at'],
}


def upgrade() -> None:
    op.add_column('tickets', sa.Column('due_at', cti.store.base.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE tickets SET due_at = (SELECT min(c.due_at) FROM sla_clocks c "
               "WHERE c.ticket_id = tickets.id AND c.due_at IS NOT NULL) "
               "WHERE id IN (SELECT ticket_id FROM sla_clocks WHERE due_at IS NOT NULL)")
    for column in SINGLE:
        op.drop_index(f'ix_tickets_{column}', table_name='tickets')
    for name, columns in COMPOSITE.items():
        op.create_index(name, 'tickets', columns, unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE ticket_search ADD COLUMN document tsvector "
                   "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, terms)) STORED")
        op.execute("DROP INDEX ix_ticket_search_terms_fts")
        op.execute("CREATE INDEX ix_ticket_search_document ON ticket_search USING gin (document)")
        op.execute("ANALYZE ticket_search")
    op.execute("ANALYZE tickets")  # the planner's statistics for the new indexes (seconds at a million rows)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_ticket_search_document")
        op.execute("ALTER TABLE ticket_search DROP COLUMN document")
        op.execute("CREATE INDEX ix_ticket_search_terms_fts ON ticket_search USING gin (to_tsvector('simple', terms))")
    for name in COMPOSITE:
        op.drop_index(name, table_name='tickets')
    for column in SINGLE:
        op.create_index(f'ix_tickets_{column}', 'tickets', [column], unique=False)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('due_at')
