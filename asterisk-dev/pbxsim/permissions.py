"""AMI read and write classes, applied as Asterisk 22's ``main/manager.c`` applies them.

* A user's ``read =``/``write =`` values become bit masks with ``get_perm`` (the labels of
  ``perms[]``; ``all`` is every bit, ``none`` none). At login the session copies them
  (``authenticate``: ``session->readperm``/``writeperm``) and the events it is sent are
  ``send_events = readperm``, or ``readperm & <the Login's Events header>`` (``set_eventmask``,
  ``strings_to_mask``); the ``Events`` action changes ``send_events`` the same way.
* An event of category ``C`` is queued for a session when ``(send_events & C) == C``
  (``__manager_event_sessions_va``) and checked again when written (``process_events``):
  *every* class of the event must be granted. The simulator's events have one class each,
  so that is "its class is in ``read``"; an event of category 0 would reach every session.
* An action registered with authority ``A`` runs when ``(writeperm & A) || A == 0``
  (``process_message``): *one* of its classes is enough. Otherwise the PBX reports a
  ``RequestNotAllowed`` security event (``report_req_not_allowed``) and answers
  ``Response: Error`` / ``Message: Permission denied``. An action that is not registered at
  all is ``Invalid/unknown command`` whatever the classes (``action_find`` comes first).
* The items of a list answer (``Status``, ``CoreShowChannel``, ``QueueMember`` …) are written
  into the session with ``astman_append`` as part of the answer, not queued as events: no
  read class filters them.

>>> get_perm("system,call,agent,user,dtmf") == SYSTEM | CALL | AGENT | USER | DTMF
True
>>> can_read(get_perm("system,call,agent,user,dtmf"), "VarSet"), can_read(get_perm("all"), "VarSet")
(False, True)
>>> may_run(get_perm("originate,agent,call,reporting"), "Hangup"), may_run(get_perm("originate"), "Hangup")
(True, False)
"""

from __future__ import annotations

from functools import lru_cache

from . import events as ev

# include/asterisk/manager.h, EVENT_FLAG_*
SYSTEM, CALL, LOG, VERBOSE, COMMAND = 1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 4
AGENT, USER, CONFIG, DTMF, REPORTING = 1 << 5, 1 << 6, 1 << 7, 1 << 8, 1 << 9
CDR, DIALPLAN, ORIGINATE, AGI, CC = 1 << 10, 1 << 11, 1 << 12, 1 << 13, 1 << 15
AOC, TEST, SECURITY, MESSAGE = 1 << 16, 1 << 17, 1 << 18, 1 << 30
ALL = 2**31 - 1  # INT_MAX

# manager.c perms[], in its order
PERMS: tuple[tuple[int, str], ...] = (
    (SYSTEM, "system"), (CALL, "call"), (LOG, "log"), (VERBOSE, "verbose"), (COMMAND, "command"),
    (AGENT, "agent"), (USER, "user"), (CONFIG, "config"), (DTMF, "dtmf"), (REPORTING, "reporting"),
    (CDR, "cdr"), (DIALPLAN, "dialplan"), (ORIGINATE, "originate"), (AGI, "agi"), (CC, "cc"),
    (AOC, "aoc"), (TEST, "test"), (SECURITY, "security"), (MESSAGE, "message"), (ALL, "all"), (0, "none"),
)  # fmt: skip
LABELS = {label: num for num, label in PERMS}

# The authority each action is registered with: main/manager.c __init_manager
# (ast_manager_register_xml_core) and apps/app_queue.c load_module (ast_manager_register_xml).
# Every registered action of those two files is listed, also those the simulator does not
# implement: a session without the class gets "Permission denied" for them, as from Asterisk;
# with the class it gets the simulator's "Invalid/unknown command".
ACTION_AUTHORITY: dict[str, int] = {name.lower(): authority for name, authority in {
    "Ping": 0, "Events": 0, "Logoff": 0, "Login": 0, "Challenge": 0,
    "Hangup": SYSTEM | CALL, "Status": SYSTEM | CALL | REPORTING, "Setvar": CALL, "Getvar": CALL | REPORTING,
    "GetConfig": SYSTEM | CONFIG, "GetConfigJSON": SYSTEM | CONFIG, "UpdateConfig": CONFIG,
    "CreateConfig": CONFIG, "ListCategories": CONFIG, "Redirect": CALL, "Atxfer": CALL,
    "CancelAtxfer": CALL, "Originate": ORIGINATE, "Command": COMMAND, "ExtensionState": CALL | REPORTING,
    "PresenceState": CALL | REPORTING, "AbsoluteTimeout": SYSTEM | CALL, "MailboxStatus": CALL | REPORTING,
    "MailboxCount": CALL | REPORTING, "ListCommands": 0, "SendText": CALL, "UserEvent": USER,
    "WaitEvent": 0, "CoreSettings": SYSTEM | REPORTING, "CoreStatus": SYSTEM | REPORTING,
    "Reload": CONFIG | SYSTEM, "LoggerRotate": SYSTEM | REPORTING, "CoreShowChannels": SYSTEM | REPORTING,
    "CoreShowChannelMap": SYSTEM | REPORTING, "ModuleLoad": SYSTEM, "ModuleCheck": SYSTEM,
    "AOCMessage": AOC, "Filter": SYSTEM, "BlindTransfer": CALL,
    # app_queue.c
    "QueueStatus": 0, "QueueSummary": 0, "QueueAdd": AGENT, "QueueRemove": AGENT, "QueuePause": AGENT,
    "QueueLog": AGENT, "QueuePenalty": AGENT, "QueueMemberRingInUse": AGENT, "QueueRule": 0,
    "QueueReload": 0, "QueueReset": 0, "QueueChangePriorityCaller": 0, "QueueWithdrawCaller": 0,
}.items()}  # fmt: skip


def _instring(bigstr: str, smallstr: str) -> bool:
    """manager.c ``ast_instring(bigstr, smallstr, ',')``, quirks included: every item but the last
    matches when it is a *prefix* of ``smallstr`` (``strncmp`` over the item's length), the last one
    only when equal (``strcmp``); nothing is trimmed, and it is case-sensitive.

    >>> _instring("system,call", "call"), _instring("sys,call", "system"), _instring("call,sys", "system")
    (True, True, False)
    """
    items = bigstr.split(",")
    return any(smallstr.startswith(item) for item in items[:-1]) or items[-1] == smallstr


def get_perm(text: str | None) -> int:
    """manager.c ``get_perm``: the OR of every ``perms[]`` label found in a ``read``/``write`` value.

    >>> get_perm("all") == ALL, get_perm("none"), get_perm(""), get_perm("system, call") == SYSTEM
    (True, 0, 0, True)
    """
    if text is None:
        return 0
    mask = 0
    for num, label in PERMS:
        if _instring(text, label):
            mask |= num
    return mask


TRUE_WORDS = {"yes", "true", "y", "t", "1", "on"}  # main/utils.c ast_true
FALSE_WORDS = {"no", "false", "n", "f", "0", "off"}  # ast_false


def strings_to_mask(text: str) -> int:
    """manager.c ``strings_to_mask`` (an ``Events``/``EventMask`` header): -1 when empty, the number
    when all digits, 0 for a false word, every class for a true word, else ``get_perm``.

    >>> strings_to_mask("on") == ALL, strings_to_mask("off"), strings_to_mask(""), strings_to_mask("1")
    (True, 0, -1, 1)
    """
    if not text:
        return -1
    if text.isdigit() and text.isascii():
        return int(text)
    word = text.lower()  # ast_true/ast_false: strcasecmp, nothing trimmed
    if word in FALSE_WORDS:
        return 0
    if word in TRUE_WORDS:
        mask = 0
        for num, _ in PERMS:
            mask |= num
        return mask
    return get_perm(text)


@lru_cache(maxsize=None)
def event_category(event: str) -> int:
    """The category an event is raised with, read back from the ``Privilege`` header the simulator
    writes (manager.c ``authority_to_str`` lists every label whose bits meet the category, so
    ``call,all`` is ``EVENT_FLAG_CALL``)."""
    labels = ev.privilege(event).split(",")
    return get_perm(",".join(label for label in labels if label != "all"))


def can_read(send_events: int, event: str) -> bool:
    """``(session->send_events & category) == category`` (``__manager_event_sessions_va``)."""
    category = event_category(event)
    return send_events & category == category


def is_registered(action: str) -> bool:
    return action.lower() in ACTION_AUTHORITY


def may_run(writeperm: int, action: str) -> bool:
    """``(session->writeperm & act_found->authority) || act_found->authority == 0``
    (``process_message``); an action not registered is not refused here (it is unknown)."""
    authority = ACTION_AUTHORITY.get(action.lower(), 0)
    return bool(writeperm & authority) or authority == 0
