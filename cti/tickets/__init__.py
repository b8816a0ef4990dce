"""Tickets: after-sales work opened from calls — states, SLA promises, escalation."""
