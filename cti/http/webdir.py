"""Where the console's templates, static files and catalogs live.

In a checkout that is the repository's ``web/`` folder; in an installed wheel
it is ``cti/_web`` (pyproject force-includes ``web`` there).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # .../cti


@lru_cache(maxsize=1)
def web_dir() -> Path:
    for candidate in (_PACKAGE / "_web", _PACKAGE.parent / "web"):
        if (candidate / "templates").is_dir():
            return candidate
    raise RuntimeError(f"console files not found: neither {_PACKAGE / '_web'} nor {_PACKAGE.parent / 'web'} exists")
