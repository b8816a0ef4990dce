"""Every table, imported in one place for Alembic and for tests that build a schema."""

from cti.audit.models import AuditEntry
from cti.campaigns.models import Campaign, CampaignAttempt, CampaignContact, DoNotCall
from cti.calls.models import Call, CallAgentLeg
from cti.customers.models import Customer, CustomerPhone, Product
from cti.org.models import OrgUnit
from cti.supervision.models import QueueSetting
from cti.dispatch.models import CompletionPart, CompletionReport, Engineer, ServiceOutlet, ServiceRegion
from cti.store.base import Base
from cti.store.secrets import AppSecret
from cti.supervision.reports_models import ReportAgentDay, ReportModelDay, ReportPromiseDay, ReportQueueDay
from cti.tickets.models import (
    BusinessCalendarRow,
    CalendarDay,
    Escalation,
    QueueTicketRule,
    SlaClock,
    SlaPolicy,
    Ticket,
    TicketCall,
    TicketCounter,
    TicketEvent,
    TicketNotification,
    TicketSearch,
    WebhookDelivery,
)
from cti.users.models import User, WebSession

__all__ = [
    "AppSecret", "AuditEntry", "Base", "BusinessCalendarRow", "CalendarDay", "Call", "CallAgentLeg", "Campaign",
    "CampaignAttempt", "CampaignContact", "CompletionPart", "DoNotCall",
    "CompletionReport", "Customer", "CustomerPhone", "Engineer", "Escalation", "OrgUnit", "Product", "QueueSetting",
    "QueueTicketRule", "ReportAgentDay", "ReportModelDay", "ReportPromiseDay", "ReportQueueDay",
    "ServiceOutlet", "ServiceRegion", "SlaClock", "SlaPolicy", "Ticket", "TicketCall", "TicketCounter", "TicketEvent",
    "TicketNotification", "TicketSearch", "User", "WebSession", "WebhookDelivery",
]


# Made by migrations for one backend only: SQLite's FTS5 table (and its shadow tables), PostgreSQL's
# stored tsvector column of ticket_search and its GIN index.
NOT_MODELLED = ("ticket_search_fts", "ix_ticket_search_document")
NOT_MODELLED_COLUMNS = {("ticket_search", "document")}


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """For Alembic's comparisons: leave out the backend-specific objects the models do not describe."""
    if type_ == "column":
        return (parent_names.get("table_name"), name) not in NOT_MODELLED_COLUMNS
    return not (type_ in ("table", "index") and name is not None and name.startswith(NOT_MODELLED))
