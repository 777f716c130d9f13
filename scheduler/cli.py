"""`flask scheduler run`: registered through the `flask.commands` entry point, so the app never imports it."""
from __future__ import annotations

import logging

from flask import current_app
from flask.cli import AppGroup

scheduler_cli = AppGroup("scheduler", help="The scheduler process (reminders, outbox, digests).")


@scheduler_cli.command("run")
def run_command() -> None:
    """Run the scheduler until stopped; a second one waits and takes over when the first dies."""
    from scheduler.process import run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    run(current_app._get_current_object())
