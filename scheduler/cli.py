"""`flask scheduler run`: registered through the `flask.commands` entry point, so the app never imports it."""
from __future__ import annotations

import logging
import os
import sys

from flask import current_app
from flask.cli import AppGroup

from app.extensions import db

scheduler_cli = AppGroup("scheduler", help="The scheduler process (reminders, outbox, digests).")


@scheduler_cli.command("run")
def run_command() -> None:
    """Run the scheduler until stopped; a second one waits and takes over when the first dies."""
    from scheduler.process import run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    run(current_app._get_current_object())
    # Stopped: the lead is released, or a job stuck past the bound is abandoned. The process ends here, without
    # the interpreter's teardown, which would let such a job run on after another scheduler has taken the lead
    # (and which alone takes seconds on a busy machine). The idle database connections are closed first.
    db.engine.dispose()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
