"""Locust journeys of Tandem's users, for bench/load.py (run it, not this file, unless you know the environment).

Environment: TANDEM_LOAD_ACCOUNTS (the JSON of bench/loadkit.build_database), TANDEM_LOAD_THINK ("a,b": seconds a
user waits between pages, uniformly; "0,0" for none). bench/minimal_app.py's page is loaded by MinimalUser, chosen
with `locust ... MinimalUser`. TANDEM_LOAD_SAMPLES: where to write every request (see _sample).
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import time
from pathlib import Path

from loadkit import record_form
from locust import between, constant, events, task
from locust.contrib.fasthttp import FastHttpUser

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ACCOUNTS = json.loads(Path(os.environ["TANDEM_LOAD_ACCOUNTS"]).read_text()) if "TANDEM_LOAD_ACCOUNTS" in os.environ else {}
_low, _high = (float(x) for x in os.environ.get("TANDEM_LOAD_THINK", "0,0").split(","))
WAIT = between(_low, _high) if _high > 0 else constant(0)
_lock = threading.Lock()
_cycles = {kind: itertools.cycle(ACCOUNTS.get(kind, [])) for kind in ("hr", "supervisors", "coordinators")}
_saves = itertools.count(1)
# Every request as a line "end time, name, response time in ms, failed", so that bench/load.py computes exact
# percentiles over the window it chooses (locust's own are rounded and cover the whole run).
_samples = (Path(os.environ["TANDEM_LOAD_SAMPLES"]).open("w")  # noqa: SIM115 - closed when locust quits
            if "TANDEM_LOAD_SAMPLES" in os.environ else None)


@events.request.add_listener
def _sample(request_type, name, response_time, response_length, exception=None, **_kwargs):
    if _samples is not None:
        _samples.write(f"{time.time():.4f}\t{request_type} {name}\t{response_time:.2f}\t{int(exception is not None)}\n")


@events.quitting.add_listener
def _close(**_kwargs):
    if _samples is not None:
        _samples.close()

_devices = itertools.count()


def _next(kind: str) -> dict:
    with _lock:
        return next(_cycles[kind])


class TandemUser(FastHttpUser):
    abstract = True
    wait_time = WAIT
    kind = ""

    def __init__(self, *args, **kwargs):
        # Each user is a device of its own behind the proxy (TANDEM_PROXY_HOPS=1), as in production: the login
        # throttle counts per client address, and 50 people do not share one.
        n = next(_devices)
        self.default_headers = {"X-Forwarded-For": f"10.0.{n // 250}.{n % 250 + 1}"}
        super().__init__(*args, **kwargs)

    def on_start(self) -> None:
        self.account = _next(self.kind)
        page = self.page("/login", "login form")
        token = CSRF.search(page).group(1) if page else ""
        with self.client.post("/login", data={"csrf_token": token, "email": self.account["email"],
                                              "password": ACCOUNTS["password"]},
                              name="login (argon2id)", allow_redirects=False, catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}")

    def page(self, path: str, name: str) -> str:
        """GET a page; anything but a 200 (a redirect to the login, a 403, a 500) counts as an error."""
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
                return ""
            return response.text

    def group(self) -> None:
        self.page(f"/groups/{random.choice(self.account['groups'])}", "group page")

    def meeting(self) -> None:
        self.page(f"/meetings/{random.choice(self.account['meetings'])}", "meeting page")


class HrLead(TandemUser):
    """The HR lead of a company in a group: start page, the group, its meetings, the company."""

    weight = 5
    kind = "hr"

    @task(3)
    def start_page(self) -> None:
        self.page("/hr/", "HR start page")

    @task(3)
    def group_page(self) -> None:
        self.group()

    @task(3)
    def meeting_page(self) -> None:
        self.meeting()

    @task(1)
    def company(self) -> None:
        self.page(f"/companies/{self.account['company_id']}", "company page")


class Supervisor(TandemUser):
    """A supervisor: start page, their groups and meetings, and saving the record of a session just held."""

    weight = 3
    kind = "supervisors"

    @task(3)
    def start_page(self) -> None:
        self.page("/supervisor/", "supervisor start page")

    @task(2)
    def group_page(self) -> None:
        self.group()

    @task(2)
    def meeting_page(self) -> None:
        self.meeting()

    @task(2)
    def save_record(self) -> None:
        meeting_id = random.choice(self.account["recent"])
        page = self.page(f"/meetings/{meeting_id}", "meeting page (to record)")
        if not page:
            return
        n = next(_saves)
        data = record_form(page, minutes=f"Protokoll {n}", measure=f"Massnahme {n}" if n % 4 == 0 else None)
        with self.client.post(f"/meetings/{meeting_id}/record", data=data, name="save session record (POST)",
                              allow_redirects=False, catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"record answered {response.status_code}")


class Coordinator(TandemUser):
    """A coordinator of the programme: start page, dashboard, rounds, groups overview, a group, a meeting, a company."""

    weight = 2
    kind = "coordinators"

    @task(1)
    def start_page(self) -> None:
        self.page("/coordinator/", "coordinator start page")

    @task(1)
    def programme(self) -> None:
        self.page(f"/coordinator/programmes/{ACCOUNTS['programme_id']}", "programme page")

    @task(2)
    def dashboard(self) -> None:
        self.page(f"/coordinator/programmes/{ACCOUNTS['programme_id']}/dashboard", "dashboard")

    @task(1)
    def rounds(self) -> None:
        self.page(f"/coordinator/programmes/{ACCOUNTS['programme_id']}/rounds", "rounds list")

    @task(1)
    def round_page(self) -> None:
        self.page(f"/coordinator/rounds/{ACCOUNTS['round_id']}", "round page")

    @task(2)
    def groups(self) -> None:
        self.page(f"/coordinator/programmes/{ACCOUNTS['programme_id']}/groups", "groups overview")

    @task(2)
    def group_page(self) -> None:
        self.group()

    @task(2)
    def meeting_page(self) -> None:
        self.meeting()

    @task(1)
    def company(self) -> None:
        self.page(f"/companies/{random.choice(ACCOUNTS['companies'])}", "company page")


class MinimalUser(FastHttpUser):
    """The ceiling: bench/minimal_app.py's page, as fast as it answers (or with the think time asked for)."""

    wait_time = WAIT

    @task
    def hello(self) -> None:
        with self.client.get("/", name="minimal page", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
