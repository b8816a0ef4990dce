"""The package rules that keep the domains free of Asterisk (docs/ARCHITECTURE.md, "Packages").

* Only ``cti/ami/`` imports panoramisk.
* No module outside ``cti/ami/``, the composition root (``cti/app.py``), the command line
  (``cti/cli*.py``) and the AMI process with its stand-in (``cti/worker/ami_*.py``) imports ``cti.ami``: the domains speak the bus's vocabulary, ``cti.events``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "cti"
MAY_IMPORT_AMI = ("cti/ami/", "cti/app.py", "cti/cli.py", "cti/cli_serve.py",
                  "cti/worker/ami_child.py", "cti/worker/ami_proxy.py")  # the AMI process and its stand-in


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, absolute, including ``from x import y`` as ``x`` and ``x.y``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the file's package
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_imported_modules_sees_plain_from_and_relative_imports(tmp_path: Path) -> None:
    sample = PACKAGE / "calls" / "_layering_probe.py"
    sample.write_text("import panoramisk\nfrom cti.ami import tracker\nfrom ..ami.bridge import AmiBridge\n")
    try:
        found = imported_modules(sample)
    finally:
        sample.unlink()
    assert {"panoramisk", "cti.ami", "cti.ami.tracker", "cti.ami.bridge"} <= found


@pytest.mark.parametrize("path", modules(), ids=rel)
def test_only_the_ami_package_imports_panoramisk(path: Path) -> None:
    if rel(path).startswith("cti/ami/"):
        return
    bad = {m for m in imported_modules(path) if m == "panoramisk" or m.startswith("panoramisk.")}
    assert not bad, f"{rel(path)} imports {sorted(bad)}: only cti/ami/ may talk AMI"


@pytest.mark.parametrize("path", modules(), ids=rel)
def test_no_domain_imports_the_ami_package(path: Path) -> None:
    if rel(path).startswith(MAY_IMPORT_AMI):
        return
    bad = {m for m in imported_modules(path) if m == "cti.ami" or m.startswith("cti.ami.")}
    assert not bad, f"{rel(path)} imports {sorted(bad)}: domains use cti.events, not cti.ami"
