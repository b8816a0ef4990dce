"""The supervisor's floor (issue 9): live queues and agents, the figures of a period, reports.

Pure first: ``metrics.py`` computes each figure of ``docs/METRICS.md`` from call facts. The reports
(``reports*.py``, ``report_figures.py``) build on it: daily aggregates, and each report's rows.
"""
