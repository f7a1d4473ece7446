"""A task child's family: the process group it leads, and its tie to the runner that started it.

A task that runs in a child (taskdesk.runner.pool) may start processes of its own (a
`subprocess.Popen`, an `os.fork`). They all belong to the attempt: the child leads a process
group of its own (a new session), so that the runner ends the whole group at once, on a
timeout and after the child has ended, and nothing the attempt started keeps running after it.

The attempt also dies with its runner, even a SIGKILLed one, so that no attempt runs
unwatched (and, once its lease is recovered, twice at once). A warden, a small process forked
into the group before the task starts, waits for the runner's end of the result pipe to close
and then kills the group. Besides, the forkserver exits when its runner dies (the standard
library's forkserver reads end of file on a pipe only the runner holds), and on Linux the child
asks the kernel for SIGKILL when its parent, that forkserver's single thread, dies (prctl
PR_SET_PDEATHSIG). A task that reaps any child of its own (`os.wait()`) may reap its warden.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import select
import signal
import sys
from contextlib import suppress
from multiprocessing.connection import Connection

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def lead_own_group() -> None:
    """Make this process the leader of a new session and process group (its id is our pid),
    which everything the task starts joins unless it asks for a session of its own."""
    os.setsid()


def die_with_runner(result_pipe: Connection) -> int:
    """Ask for SIGKILL when our parent (the forkserver) dies (Linux), and start the warden
    that kills our whole group when the runner, the only reader of `result_pipe`, is gone;
    returns the warden's pid, for end_warden."""
    if sys.platform.startswith("linux"):
        _set_parent_death_signal(signal.SIGKILL)
    warden = os.fork()
    if warden == 0:
        _warden(result_pipe)
    return warden


def end_warden(warden: int) -> None:
    """Kill and reap the warden once the attempt is over: no orphan is left for init to reap
    (some containers' first process never does)."""
    with suppress(ProcessLookupError, ChildProcessError):  # the task itself reaped it
        os.kill(warden, signal.SIGKILL)
        os.waitpid(warden, 0)


def _set_parent_death_signal(sig: signal.Signals) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        logger.warning("task.parent_death_signal_unset errno=%s", ctypes.get_errno())


def _warden(result_pipe: Connection) -> None:
    """A process of the group that waits in the kernel, not in a thread that a task holding
    the GIL could stall, for the read end of the result pipe to close everywhere (the runner
    died: poll reports an error on the write end), then kills the group, itself included.
    While the attempt lives, its runner ends the group, this warden with it."""
    try:
        poller = select.poll()
        poller.register(result_pipe.fileno(), 0)  # errors and hang-ups are always reported
        poller.poll()
        os.killpg(0, signal.SIGKILL)
    finally:
        os._exit(0)


def signal_group(leader: int, sig: signal.Signals, *, leader_alive: bool) -> None:
    """Send `sig` to the process group that `leader` leads; nothing if it has no member left.
    The group's id stays taken while any member lives (and Linux hands out a freed id only
    after going round the whole range), so a group whose leader was reaped is still ours.
    With `leader_alive` (it has not been seen to exit), a leader that has not made its group
    yet is signalled alone."""
    try:
        os.killpg(leader, sig)
        return
    except ProcessLookupError:
        if not leader_alive:
            return
    except PermissionError:  # a member changed its identity (setuid): the leader at least
        logger.debug("task.group_not_signalled leader=%s", leader)
    with suppress(ProcessLookupError, PermissionError):  # it has exited meanwhile
        os.kill(leader, sig)
