"""Waiting for servers and processes that tests start: poll until ready, as long as a loaded machine needs.

A gunicorn with two workers takes under a second on a quiet machine and 10 to 20 s on a loaded 2-core one; a
fixed short wait fails there. These helpers poll with a generous deadline, stop early when the process has
died, and say in the failure how long they waited and what the process wrote.
"""
from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

# How long a server or process may take to become ready before a test fails (seconds).
READY_SECONDS = float(os.environ.get("TANDEM_TEST_READY_SECONDS", "180"))


def wait_until(condition: Callable[[], bool], *, what: str, seconds: float = READY_SECONDS,
               process: subprocess.Popen | None = None, log: Path | None = None, interval: float = 0.1) -> float:
    """Poll `condition` until it holds; return the seconds it took. Fails when `process` exits meanwhile or
    when `seconds` pass, naming `what`, the time waited and the end of `log`."""
    started = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - started
        waited = time.monotonic() - started
        died = process is not None and process.poll() is not None
        if died or waited > seconds:
            reason = f"exited with {process.returncode}" if died else "timed out"
            tail = log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""
            raise AssertionError(f"{what}: {reason} after {waited:.1f} s (limit {seconds:.0f} s)\n{tail}")
        time.sleep(interval)


def answers(url: str) -> bool:
    """Whether `url` answers 200 now."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - tests call loopback over http
            return response.status == 200
    except OSError:  # refused, reset or timed out while the server boots
        return False


def wait_for_http(url: str, process: subprocess.Popen, *, log: Path | None = None,
                  seconds: float = READY_SECONDS) -> float:
    """Wait until the server started as `process` answers `url`."""
    return wait_until(lambda: answers(url), what=f"the server at {url}", seconds=seconds, process=process, log=log)
