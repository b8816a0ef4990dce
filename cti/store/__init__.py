"""Storage plumbing: engine, sessions, base model, time helpers. No business logic."""

from cti.store.base import Base, UTCDateTime, utcnow
from cti.store.engine import Database

__all__ = ["Base", "Database", "UTCDateTime", "utcnow"]
