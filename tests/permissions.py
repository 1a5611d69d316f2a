"""Running a command as a plain user would: file permissions apply even when tests run as root."""

from __future__ import annotations

import os
import subprocess
import sys

# As root, a child gives up the power to ignore file permissions before it runs the command,
# so a read-only folder is read-only to it as it is to the bot's own user.
AS_A_PLAIN_USER = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
    if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
        raise SystemExit("cannot drop the capability")
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
"""


def plain_user_prefix() -> list[str]:
    return [sys.executable, "-c", AS_A_PLAIN_USER] if os.geteuid() == 0 else [sys.executable]


def can_drop_capabilities() -> bool:
    result = subprocess.run([*plain_user_prefix(), "-c", "pass"], check=False)
    return result.returncode == 0
