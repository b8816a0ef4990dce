"""Audit trail: who changed what, when, with the values before and after."""

from cti.audit.models import AuditEntry
from cti.audit.record import record

__all__ = ["AuditEntry", "record"]
