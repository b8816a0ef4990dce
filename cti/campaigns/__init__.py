"""Outbound campaigns: callbacks, satisfaction follow-ups (回访) and repair notifications, dialled through
the PBX exactly once (issue 8). The pure rules come first: calling windows (``window.py``)."""
