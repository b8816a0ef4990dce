from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cti.audit.models import AuditEntry


def record(
    session: AsyncSession,
    *,
    actor: str,
    entity: str,
    entity_id: object,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit row to the caller's unit of work (it commits with the change it describes)."""
    entry = AuditEntry(actor=actor, entity=entity, entity_id=str(entity_id), action=action, before=before, after=after)
    session.add(entry)
    return entry
