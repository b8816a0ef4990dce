"""The dialplans pass asterisklint (0.4.3): no error, warning or hint, except the ones allowed below.

``asterisk-dev/extensions.conf`` is checked as a whole (asterisklint follows its
``#include`` of ``dialplans/hotline.conf``), and ``dialplans/hotline.conf`` on its own, as
an operator's PBX includes it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOTLINE = ROOT / "dialplans" / "hotline.conf"
DEV_EXTENSIONS = ROOT / "asterisk-dev" / "extensions.conf"
RUN_ASTERISKLINT = "import os, sys; from asterisklint.main import main; sys.exit(main(sys.argv[1:], os.environ))"
MESSAGE = re.compile(r"^(?P<file>.+?):(?P<line>\d+) (?P<code>[A-Z][A-Z0-9_]+): (?P<text>.*)$")

# hotline.conf is a fragment #included into the operator's extensions.conf, which has [general] at the
# top and its [globals] second; checked alone it has neither, so these two placement hints are expected.
ALLOWED = {
    HOTLINE: {"H_DP_GENERAL_MISPLACED", "H_DP_GLOBALS_MISPLACED"},
    DEV_EXTENSIONS: set(),
}


def asterisklint(path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ALINT_IGNORE"}
    return subprocess.run([sys.executable, "-c", RUN_ASTERISKLINT, "dialplan-check", path.name],
                          cwd=path.parent, env=env, capture_output=True, text=True, timeout=120)


def findings(result: subprocess.CompletedProcess) -> list[re.Match]:
    """asterisklint's messages; anything else on stderr (a crash of the linter) fails the test."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    unparsed = [line for line in lines if not MESSAGE.match(line)]
    assert not unparsed, "asterisklint did not finish its check:\n" + result.stderr
    return [MESSAGE.match(line) for line in lines]


@pytest.mark.parametrize("path", [HOTLINE, DEV_EXTENSIONS], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_dialplan_has_no_asterisklint_findings(path):
    result = asterisklint(path)
    reported = findings(result)
    unexpected = [m.group(0) for m in reported if m.group("code") not in ALLOWED[path]]
    assert not unexpected, "\n".join(unexpected)
    assert result.returncode == (1 if reported else 0)


def test_the_development_dialplan_includes_every_hotline_context():
    shown = subprocess.run([sys.executable, "-c", RUN_ASTERISKLINT, "dialplan-show", DEV_EXTENSIONS.name],
                           cwd=DEV_EXTENSIONS.parent, capture_output=True, text=True, timeout=120).stdout
    contexts = re.findall(r"\[ Context '([^']+)'", shown)
    assert {"from-carrier", "callback", "survey", "transfer", "hotline-callback", "hotline-dial",
            "hotline-survey", "hotline-notify", "from-phones"} <= set(contexts)


def test_a_mistake_in_the_dialplan_is_reported(tmp_path):
    broken = tmp_path / "extensions.conf"
    broken.write_text(HOTLINE.read_text().replace("Playback(hotline/goodbye)", "Payback(hotline/goodbye)"))
    codes = {m.group("code") for m in findings(asterisklint(broken))}
    assert "E_APP_MISSING" in codes
