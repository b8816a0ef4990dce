"""Pushing to the console: a hub of per-user message streams (the WebSocket handler lives in cti.http)."""

from cti.push.hub import Connection, Hub, Message

__all__ = ["Connection", "Hub", "Message"]
