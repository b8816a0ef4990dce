"""Configuration of the simulated PBX: login, queue, agents, trunk numbers.

The defaults reproduce the PBX the recorded traces come from (queue
``support``, ringall, ring timeout 15 s, retry 2 s; agents ``PJSIP/1001`` …
``PJSIP/1003`` answering after 2 / 3 / 4 s; DNIS 4008001234; outbound caller
ID ``"Customer Care" <4008001234>``; test numbers that fail like
``sip_originate_failed``).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

OUTCOMES = ("answer", "busy", "congestion", "noanswer", "rejected", "unallocated")
KEYS = "0123456789*#"  # what a customer can press


@dataclass
class MemberConfig:
    """A SIP desk phone that is a static member of the queue."""

    interface: str
    name: str
    answer_after: float | None = 2.0  # seconds of ringing before the agent answers; None: never

    @property
    def number(self) -> str:
        """The endpoint name, also the phone's caller ID number (``1001``)."""
        return self.interface.split("/", 1)[-1]


@dataclass
class NumberBehavior:
    """How a customer number reacts when the PBX dials it (Originate)."""

    outcome: str = "answer"  # one of OUTCOMES
    answer_after: float = 2.0  # seconds of ringing before answering
    dtmf: str | None = None  # key pressed in the survey; None: no input
    dtmf_after: float = 2.0  # seconds after the beep (hotline-*: after the prompt began)
    talk: float = 3.0  # a callback: seconds the agent talks before hanging up
    response_lag: int = 0  # >0: OriginateResponse after this many dialplan steps, trunk state late (a race)
    # hotline-survey / hotline-notify: the key pressed at each prompt in turn, "" for none, e.g. ["", "4"]
    # (nothing, then 4 after the re-prompt); prompts beyond the list get nothing. None: ``dtmf`` at every prompt.
    keys: list[str] | None = None

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}; expected one of {OUTCOMES}")
        if self.keys is not None:
            self.keys = list(self.keys)
            for key in self.keys:
                if not isinstance(key, str) or len(key) > 1 or (key and key not in KEYS):
                    raise ValueError(f"each of keys is one of {KEYS} or '' (no key), not {key!r}")

    def key(self, prompt: int) -> str:
        """The key pressed at the call's ``prompt``-th Read (0 = the first); '' for none."""
        if self.keys is not None:
            return self.keys[prompt] if prompt < len(self.keys) else ""
        return (self.dtmf or "")[:1]


def default_members() -> list[MemberConfig]:
    """The three agents of the recorded traces."""
    return [
        MemberConfig("PJSIP/1001", "Agent 1001", 2.0),
        MemberConfig("PJSIP/1002", "Agent 1002", 3.0),
        MemberConfig("PJSIP/1003", "Agent 1003", 4.0),
    ]


def default_numbers() -> dict[str, NumberBehavior]:
    """Customer numbers with a scripted behaviour (the traces' test numbers)."""
    return {
        "+8613800138000": NumberBehavior("answer", 2.0, dtmf="4"),
        "+8613912345678": NumberBehavior("answer", 2.0, dtmf=None, response_lag=3),
        "+8613700000001": NumberBehavior("busy"),
        "+8613700000002": NumberBehavior("congestion"),
        "+8613700000003": NumberBehavior("noanswer"),
        "+8613700000004": NumberBehavior("rejected"),
        "+8613700000005": NumberBehavior("unallocated"),
    }


def default_callers() -> list[tuple[str, str]]:
    """Callers of the random generator: (number, name)."""
    return [
        ("+8613800138000", "Zhang San"),
        ("+8613912345678", "Li Si"),
        ("+8618612345678", "Wang Wu"),
        ("+8613312345678", "Zhao Liu"),
        ("+8613500001111", "陈小红"),
        ("+8613600002222", "刘洋 🙂"),
        ("+8613700003333", '<script>alert("x")</script>'),
        ("+861088886666", 'O\'Brien "Bob"'),
    ]


@dataclass
class SimConfig:
    """Everything the simulator needs; every field has a sensible default."""

    host: str = "127.0.0.1"
    port: int = 5038  # 0: an ephemeral port (read Simulator.port)
    control_host: str = "127.0.0.1"
    control_port: int | None = None  # HTTP control API; None: off, 0: ephemeral
    username: str = "cti"
    secret: str = "ctisecret"
    # the user's classes, as manager.conf writes them (``read = system,call``); "all": what the
    # traces were recorded with. classes_from_manager_conf() reads them from a manager.conf.
    read: str = "all"
    write: str = "all"
    time_scale: float = 1.0  # 0.01 runs a 5 s call in 50 ms; reported times stay nominal
    queue: str = "support"
    ring_timeout: float = 15.0
    retry: float = 2.0
    queue_max_wait: float = 60.0  # Queue(support,,,,60)
    members: list[MemberConfig] = field(default_factory=default_members)
    dnis: str = "4008001234"
    company_number: str = "4008001234"
    company_name: str = "Customer Care"
    trunk: str = "carrier"
    numbers: dict[str, NumberBehavior] = field(default_factory=default_numbers)
    default_number: NumberBehavior = field(default_factory=NumberBehavior)
    callers: list[tuple[str, str]] = field(default_factory=default_callers)
    rtcp: bool = True  # RTCPSent/RTCPReceived every rtcp_interval nominal seconds per media leg
    rtcp_interval: float = 5.0
    survey_prompt: float = 1.0  # Playback(auth-thankyou)
    survey_read_timeout: float = 10.0  # Read(RATING,beep,1,,1,10)
    survey_goodbye: float = 1.0  # Playback(vm-goodbye)
    default_talk: float = 30.0  # talk time when nobody scripted one (AMI-started calls)

    def behavior(self, number: str) -> NumberBehavior:
        """The configured behaviour of a dialled number (or the default)."""
        return self.numbers.get(number, self.default_number)


MANAGER_CONF = "manager.conf"  # asterisk-dev/manager.conf: next to this package, or inside it in the wheel


def documented_manager_conf() -> Path:
    """The project's ``manager.conf`` (asterisk-dev/, or the copy the wheel ships in pbxsim/)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / MANAGER_CONF, here.parent / MANAGER_CONF):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{MANAGER_CONF} is neither in {here} nor in {here.parent}")


def _manager_conf_sections(text: str) -> dict[str, list[tuple[str, str]]]:
    """Each section's ``(key, value)`` lines, in order: comments (``;`` unless ``\\;``) removed, blanks
    trimmed, keys lower-cased, as Asterisk's config parser reads them; ``[name](template)`` is ``name``."""
    sections: dict[str, list[tuple[str, str]]] = {}
    lines: list[tuple[str, str]] = []
    for raw in text.splitlines():
        line = re.split(r"(?<!\\);", raw, maxsplit=1)[0].replace("\\;", ";").strip()
        if line.startswith("["):
            lines = sections.setdefault(line[1:].split("]", 1)[0].strip(), [])
        elif "=" in line:
            key, _, value = line.partition("=")
            lines.append((key.strip().lower(), value.lstrip(">").strip()))
    return sections


def classes_from_manager_conf(path: str | Path, user: str = "cti") -> dict[str, str]:
    """``{"read": …, "write": …}`` of ``[user]`` in a manager.conf, ready for ``SimConfig(**…)``.

    The last ``read``/``write`` line of the section wins and a missing one grants nothing, as in
    manager.c ``__init_manager`` (``user->readperm = get_perm(var->value)``, 0 by default); the
    user's section is found without regard to case (``get_manager_by_name_locked``: strcasecmp).
    """
    sections = _manager_conf_sections(Path(path).read_text(encoding="utf-8"))
    matching = [lines for name, lines in sections.items() if name.lower() == user.lower()]
    if not matching:
        raise ValueError(f"{path}: no [{user}] section")
    classes = {"read": "", "write": ""}
    for key, value in matching[0]:
        if key in classes:
            classes[key] = value
    return classes


def documented_classes(user: str = "cti") -> dict[str, str]:
    """The read and write classes of the AMI user the project documents (asterisk-dev/manager.conf)."""
    return classes_from_manager_conf(documented_manager_conf(), user)


def load_callers(path: str | Path) -> list[tuple[str, str]]:
    """Read a CSV of ``number,name`` (a header row ``number,name`` is skipped)."""
    callers: list[tuple[str, str]] = []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            if not row or not row[0].strip() or row[0].strip().lower() == "number":
                continue
            name = row[1].strip() if len(row) > 1 else ""
            callers.append((row[0].strip(), name))
    return callers
