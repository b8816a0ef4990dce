"""Every table, imported in one place for Alembic and for tests that build a schema."""

from cti.audit.models import AuditEntry
from cti.calls.models import Call, CallAgentLeg
from cti.customers.models import Customer, CustomerPhone, Product
from cti.store.base import Base
from cti.store.secrets import AppSecret
from cti.users.models import User, WebSession

__all__ = ["AppSecret", "AuditEntry", "Base", "Call", "CallAgentLeg", "Customer", "CustomerPhone", "Product", "User",
           "WebSession"]
