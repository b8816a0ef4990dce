"""What a settings form got wrong, field by field: shared by the forms of every domain.

A domain subclasses :class:`FormError` (its pages translate ``<domain>.error.<code>``) and collects
with :class:`Problems` bound to it, so a form names every wrong field at once and saves nothing.

>>> class DemoError(FormError): pass
>>> problems = Problems(DemoError)
>>> problems.add("name", "required"); problems.add("name", "too_long"); problems.add("size", "bad", max=5)
>>> try:
...     problems.check()
... except DemoError as error:
...     (error.code, error.field, [(p.field, p.code) for p in error.problems])
('required', 'name', [('name', 'required'), ('size', 'bad')])
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, Self


@dataclass(frozen=True, slots=True)
class Problem:
    field: str  # the form field it is about; "form": the form as a whole
    code: str  # <domain>.error.<code>
    params: dict[str, Any] = field(default_factory=dict)


class FormError(ValueError):
    """Refused input or a refused change: one or more :class:`Problem` (the first is ``code``/``field``)."""

    def __init__(self, code: str, field: str = "form", **params: Any) -> None:
        self.problems = [Problem(field, code, params)]
        super().__init__(f"{code} ({field}): {params}" if params else f"{code} ({field})")

    @classmethod
    def many(cls, problems: list[Problem]) -> Self:
        first = problems[0]
        error = cls(first.code, first.field, **first.params)
        error.problems = list(problems)
        return error

    @property
    def code(self) -> str:
        return self.problems[0].code

    @property
    def field(self) -> str:
        return self.problems[0].field


class Problems:
    """What a form parser found wrong, one problem per field (the first one); ``check`` raises them."""

    def __init__(self, error: type[FormError]) -> None:
        self.found: list[Problem] = []
        self._error = error

    def add(self, field: str, code: str, **params: Any) -> None:
        if all(p.field != field for p in self.found):
            self.found.append(Problem(field, code, params))

    def check(self) -> None:
        if self.found:
            raise self._error.many(self.found)


def clean(value: object) -> str:
    """Typed text as the checks read it: NFKC (full-width ``８：００`` is ``8:00``), trimmed."""
    return unicodedata.normalize("NFKC", str(value or "")).strip()
