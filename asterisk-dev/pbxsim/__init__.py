"""pbxsim: an Asterisk 22 PBX simulator speaking AMI over TCP.

It answers like the recorded ``sip_*`` traces (PJSIP trunk ``carrier``, SIP
desk phones ``PJSIP/1001`` …, queue ``support``), places calls on a script
or at random, and has a control API for tests (Python and HTTP JSON). See
``asterisk-dev/README.md``.
"""

from .config import (MemberConfig, NumberBehavior, SimConfig, classes_from_manager_conf, documented_classes,
                     load_callers)
from .mix import MixConfig
from .queuecall import CallScript
from .scenarios import CallHandle
from .simulator import Simulator

__all__ = ["CallHandle", "CallScript", "MemberConfig", "MixConfig", "NumberBehavior", "SimConfig", "Simulator",
           "classes_from_manager_conf", "documented_classes", "load_callers"]
