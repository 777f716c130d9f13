"""Stopping Tandem's long-running processes (issue 22): `flask scheduler run` ends within 5 s of SIGTERM or SIGINT
whether it waits for the lead, leads, is hit ten times at once or has a job stuck in SMTP, and hands the lead on;
SIGTERM, SIGINT and SIGHUP each reach the waiting main thread; `flask devserver` stopped by SIGTERM or a Ctrl+C
leaves no process behind."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from app.extensions import db
from app.models import OutboundEmail, utcnow
from tests.conftest import free_port
from tests.serving import READY_SECONDS

ROOT = Path(__file__).resolve().parents[2]
EXIT_SECONDS = 5.0  # from the signal to the end of the process
# The devserver gives its children 5 s before it kills them, then ends itself (a second or two of interpreter
# teardown for each process on a loaded machine).
DEVSERVER_EXIT_SECONDS = 10.0
LEAD_POLL_SECONDS = 2.0  # how often a waiting scheduler tries for the lead (scheduler.process.run's wait_seconds)
HANDOVER_SLACK_SECONDS = 1.5  # its query for the lead and its log line, on a loaded machine
LEADS, WAITS = "this scheduler leads", "another scheduler leads; waiting"


class Flask:
    """A `flask` command in a process of its own; its output (stdout and stderr) is collected with arrival times.
    With `own_group` it leads a process group of its own, to which a test can send what a terminal sends."""

    def __init__(self, *args: str, env: dict[str, str], own_group: bool = False):
        self.args = args
        self.popen = subprocess.Popen([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True, process_group=0 if own_group else None)
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.popen.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def output(self) -> str:
        return "\n".join(line for _, line in self.lines[-40:])

    def wait_for(self, text: str, *, after: float = 0.0, seconds: float = READY_SECONDS) -> float:
        """Wait for a line containing `text` that arrived after `after`; returns when it arrived."""
        deadline = time.monotonic() + seconds
        while True:
            for at, line in list(self.lines):
                if at >= after and text in line:
                    return at
            if self.popen.poll() is not None:
                self._reader.join(5)
                pytest.fail(f"`flask {' '.join(self.args)}` ended (exit code {self.popen.returncode}) before "
                            f"{text!r}:\n{self.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {text!r} from `flask {' '.join(self.args)}` within {seconds:.0f} s:\n{self.output()}")
            time.sleep(0.05)

    def signal(self, sig: int) -> float:
        """Send `sig`; returns when it was sent."""
        sent = time.monotonic()
        self.popen.send_signal(sig)
        return sent

    def exit_within(self, sent: float, seconds: float = EXIT_SECONDS) -> float:
        """Wait for the process to end at most `seconds` after `sent`; returns how long it took from `sent`."""
        try:
            self.popen.wait(timeout=max(0.0, sent + seconds - time.monotonic()))
        except subprocess.TimeoutExpired:
            pytest.fail(f"`flask {' '.join(self.args)}` still ran {seconds:.0f} s after the signal:\n{self.output()}")
        took = time.monotonic() - sent
        self._reader.join(5)
        return took

    def close(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()
        self._reader.join(5)
        self.popen.stdout.close()


@pytest.fixture
def processes():
    """Start `flask` processes; whatever is still running at the end is killed."""
    started: list[Flask] = []

    def start(*args: str, own_group: bool = False, **env: str) -> Flask:
        process = Flask(*args, env={**os.environ, "FLASK_APP": "wsgi.py", **env}, own_group=own_group)
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()


def _scheduler_env(app, mail_port: int) -> dict[str, str]:
    # Jobs every second, so that a stop often meets one running. The SQLite lease keeps its default length: a
    # short one runs out while four processes starting at once starve the leader of CPU, and the lead flaps (a
    # stopping leader expires its lease, so the handover does not wait for it).
    return {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "MAIL_PORT": str(mail_port),
            "TANDEM_SCHEDULER_TICK": "1"}


def _leader(candidates: list[Flask], after: float = 0.0) -> Flask:
    """The one of `candidates` that logs that it leads after `after` (waiting as long as a start may take)."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        for process in candidates:
            if any(at >= after and LEADS in line for at, line in list(process.lines)):
                return process
            if process.popen.poll() is not None:
                pytest.fail(f"a scheduler ended (exit code {process.popen.returncode}):\n{process.output()}")
        time.sleep(0.05)
    pytest.fail(f"none of the schedulers took the lead within {READY_SECONDS:.0f} s")


def _stop_leader_and_hand_over(leader: Flask, waiting: list[Flask], *signals: int) -> tuple[float, Flask | None]:
    """Send `signals` to the leader; check that it ends in time and that one of `waiting` then takes the lead
    within its polling interval. Returns the seconds from the first signal to the exit, and the new leader."""
    sent = time.monotonic()
    for sig in signals:
        leader.popen.send_signal(sig)
    took = leader.exit_within(sent)
    if not waiting:
        return took, None
    exited = time.monotonic()
    successor = _leader(waiting, after=sent)
    handover = successor.wait_for(LEADS, after=sent) - exited
    assert handover <= LEAD_POLL_SECONDS + HANDOVER_SLACK_SECONDS, (
        f"the lead passed on {handover:.1f} s after the leader's exit (a waiting scheduler tries every "
        f"{LEAD_POLL_SECONDS:.0f} s):\n{successor.output()}")
    waiting.remove(successor)
    print(f"the lead passed on {handover:.2f} s after the exit")
    return took, successor


def test_scheduler_stops_on_each_signal_and_hands_the_lead_on(app, smtp_server, processes):
    env = _scheduler_env(app, smtp_server["port"])
    schedulers = [processes("scheduler", "run", **env) for _ in range(4)]
    leader = _leader(schedulers)
    waiting = [process for process in schedulers if process is not leader]
    for process in waiting:
        process.wait_for(WAITS)
    took = {}

    # SIGTERM while it waits for the lead.
    waiter = waiting.pop()
    took["SIGTERM waiting"] = waiter.exit_within(waiter.signal(signal.SIGTERM))
    assert waiter.popen.returncode == 0, waiter.output()
    # SIGTERM while it leads: it releases the lead, which a waiting scheduler takes at its next try.
    stopped = leader
    took["SIGTERM leading"], leader = _stop_leader_and_hand_over(leader, waiting, signal.SIGTERM)
    assert stopped.popen.returncode == 0, stopped.output()
    # Ten SIGTERMs back to back while it leads.
    stopped = leader
    took["10 x SIGTERM leading"], leader = _stop_leader_and_hand_over(leader, waiting, *[signal.SIGTERM] * 10)
    assert stopped.popen.returncode == 0, stopped.output()
    # SIGINT (Ctrl+C) while it leads.
    stopped = leader
    took["SIGINT leading"], _ = _stop_leader_and_hand_over(leader, waiting, signal.SIGINT)
    assert stopped.popen.returncode == 0, stopped.output()
    print("seconds from the signal to the exit:", {k: round(v, 2) for k, v in took.items()})


def test_scheduler_with_a_job_stuck_in_smtp_stops_in_time(app, processes):
    # A mail is due; the SMTP server accepts the connection and then says nothing (no greeting), for minutes.
    with app.app_context():
        db.session.add(OutboundEmail(recipient="hr1@example.org", subject="Stuck", body_text="...",
                                     next_attempt_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        db.session.remove()
    with socket.create_server(("127.0.0.1", 0)) as silent:
        scheduler = processes("scheduler", "run", **_scheduler_env(app, silent.getsockname()[1]),
                              MAIL_TIMEOUT="300")
        scheduler.wait_for(LEADS)
        silent.settimeout(READY_SECONDS)
        try:
            connection, _ = silent.accept()  # the job now waits for the greeting
        except TimeoutError:
            pytest.fail(f"the scheduler did not connect to the SMTP server within {READY_SECONDS:.0f} s")
        with connection:
            took = scheduler.exit_within(scheduler.signal(signal.SIGTERM))
    assert "abandoned" in scheduler.output()
    print(f"stopped {took:.2f} s after SIGTERM, abandoning the stuck job")


def _process_table() -> dict[int, tuple[int, str, str]]:
    """Every process: pid -> (parent pid, state, start time), read from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # the command name in brackets may hold spaces
        table[int(entry.name)] = (int(fields[1]), fields[0], fields[19])
    return table


def _descendants(pid: int) -> dict[int, str]:
    """The processes below `pid`: pid -> start time (to tell a process from a later one with its pid)."""
    table = _process_table()
    found, todo = {}, [pid]
    while todo:
        parent = todo.pop()
        for child, (ppid, _, started) in table.items():
            if ppid == parent and child not in found:
                found[child] = started
                todo.append(child)
    return found


def _still_running(processes: dict[int, str]) -> list[int]:
    table = _process_table()
    return [pid for pid, started in processes.items()
            if pid in table and table[pid][2] == started and table[pid][1] != "Z"]


STOP_SIGNALS_SCRIPT = """
from app.cli import StopSignals

stops = StopSignals()
while True:
    print("ready", flush=True)
    stops.wait()
    print(int(stops.received), flush=True)
    stops.received = None
"""


def test_every_stop_signal_is_caught_and_waited_for():
    """SIGTERM, SIGINT and SIGHUP (also ten at once) each end `StopSignals.wait` at once and none of them ends the
    process the default way (the scheduler, the devserver and prodserver all stop through it)."""
    process = subprocess.Popen([sys.executable, "-c", STOP_SIGNALS_SCRIPT], cwd=ROOT, stdout=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True)
    lines: list[str] = []

    def read() -> None:
        for line in process.stdout:
            lines.append(line.strip())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def next_line(index: int, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        while len(lines) <= index:
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"line {index} did not come within {seconds:.0f} s (exit code {process.poll()}): {lines}")
            time.sleep(0.02)
        return lines[index]

    try:
        index = 0
        for sig, times in ((signal.SIGTERM, 1), (signal.SIGINT, 1), (signal.SIGHUP, 1), (signal.SIGTERM, 10)):
            assert next_line(index, READY_SECONDS) == "ready"
            for _ in range(times):
                process.send_signal(sig)
            assert next_line(index + 1, EXIT_SECONDS) == str(int(sig))
            index += 2
        assert next_line(index, EXIT_SECONDS) == "ready"
        assert process.poll() is None
    finally:
        process.kill()
        process.wait()
        reader.join(5)
        process.stdout.close()


# SIGTERM goes to the devserver alone (as `kill` or make's own SIGTERM sends it); Ctrl+C sends SIGINT to the whole
# foreground process group, the devserver and its children at once.
STOPS = {"SIGTERM": (signal.SIGTERM, False), "Ctrl+C": (signal.SIGINT, True)}


@pytest.mark.parametrize("how", list(STOPS))
def test_devserver_stopped_leaves_no_process_behind(app, tmp_path, processes, how):
    web_port, mail_port = free_port(), free_port()
    server = processes("devserver", "--port", str(web_port), own_group=True,
                       DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
                       MAIL_PORT=str(mail_port), TANDEM_DEV_MAIL_DIR=str(tmp_path), TANDEM_SCHEDULER_TICK="1")
    for ready in ("Tandem runs at", "Development mail sink on", LEADS):
        server.wait_for(ready)
    children = _descendants(server.popen.pid)
    assert len(children) >= 2, f"expected the mail sink and the scheduler below the devserver: {children}"
    sig, to_group = STOPS[how]
    try:
        sent = time.monotonic()
        if to_group:
            os.killpg(server.popen.pid, sig)
        else:
            server.popen.send_signal(sig)
        took = server.exit_within(sent, DEVSERVER_EXIT_SECONDS)
        left = _still_running(children)
        assert not left, f"left behind after {how}: {left}\n{server.output()}"
        assert server.popen.returncode == 0, server.output()
    finally:
        for pid in _still_running(children):  # so that a failure here leaves nothing running either
            os.kill(pid, signal.SIGKILL)
    print(f"devserver and its {len(children)} children ended {took:.2f} s after {how}")
