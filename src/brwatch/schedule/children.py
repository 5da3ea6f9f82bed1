"""Running one job as a child process: its own process group, a time limit, a captured log.

Crawls run in children because Scrapy's reactor cannot restart inside one process, and because
a hung or crashing crawl must not take the scheduler with it. The child leads a new session, so
stopping it stops everything it started (killpg).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO

log = logging.getLogger(__name__)
# How often a running child is looked at: lease renewal, run discovery, stop requests.
TICK_SECONDS = 0.5


@dataclass(frozen=True)
class ChildResult:
    pid: int
    returncode: int | None
    # "exited" (on its own), "time_limit" (killed at its limit), or why the scheduler stopped
    # it: "stopped" (shutdown), "lease_lost" (another scheduler took the job over).
    ending: str
    log_tail: str
    seconds: float

    @property
    def crashed(self) -> bool:
        return self.ending == "exited" and self.returncode != 0


def run_child(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    time_limit: float,
    kill_grace: float,
    tail_chars: int,
    stop_reason: Callable[[], str | None] = lambda: None,
    on_start: Callable[[int], None] = lambda pid: None,
    on_tick: Callable[[int], None] = lambda pid: None,
) -> ChildResult:
    """Run ``argv`` to its end, its time limit, or until ``stop_reason`` names a reason to stop."""
    started = time.monotonic()
    limit_at = started + time_limit
    with tempfile.TemporaryFile(prefix="brwatch-job-") as output:
        process = subprocess.Popen(
            list(argv),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env),
            start_new_session=True,
        )
        on_start(process.pid)
        ending = "exited"
        while True:
            try:
                process.wait(timeout=TICK_SECONDS)
                break
            except subprocess.TimeoutExpired:
                pass
            reason = "time_limit" if time.monotonic() >= limit_at else stop_reason()
            if reason:
                ending = reason
                log.warning(
                    "stopping %s (pid %d): %s", argv[0], process.pid, ending.replace("_", " ")
                )
                _stop_group(process, kill_grace)
                break
            on_tick(process.pid)
        _kill_leftovers(process.pid)
        return ChildResult(
            pid=process.pid,
            returncode=process.returncode,
            ending=ending,
            log_tail=_tail(output, tail_chars),
            seconds=round(time.monotonic() - started, 3),
        )


def _stop_group(process: subprocess.Popen[bytes], kill_grace: float) -> None:
    """SIGTERM the child's whole process group, then SIGKILL whatever is left after the grace."""
    _signal_group(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=kill_grace)
    except subprocess.TimeoutExpired:
        _signal_group(process.pid, signal.SIGKILL)
        process.wait()


def _kill_leftovers(group: int) -> None:
    """Grandchildren a finished child left behind would run on unwatched: stop them."""
    _signal_group(group, signal.SIGKILL)


def _signal_group(group: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signum)


def _tail(output: IO[bytes], chars: int) -> str:
    """The last ``chars`` characters the child wrote (bytes are read generously, then cut)."""
    output.seek(0, os.SEEK_END)
    size = output.tell()
    output.seek(max(0, size - chars * 4))
    return output.read().decode("utf-8", errors="replace")[-chars:]
