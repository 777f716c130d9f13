"""Command-line commands: `flask demo load`, `flask mail-sink`, `flask devserver`, `flask mail deliver`."""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from werkzeug.serving import make_server

from app.extensions import db
from app.models import utcnow

demo_cli = AppGroup("demo", help="The demo programme.")
mail_cli = AppGroup("mail", help="The mail outbox.")
rounds_cli = AppGroup("rounds", help="Matching rounds.")
backup_cli = AppGroup("backup", help="Backup and restore (SQLite and PostgreSQL).")
database_cli = AppGroup("database", help="The database itself.")
admin_cli = AppGroup("admin", help="Administrators.")

# What stops Tandem's long-running processes: `kill`, Ctrl+C, and the terminal closing.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class StopSignals:
    """SIGTERM, SIGINT and SIGHUP as a request to stop, which the main thread waits for with `wait()`.

    The handler only stores the signal's number. It takes no lock, so it cannot deadlock on one the main thread
    holds where the signal lands (the scheduler's handler once called `threading.Event.set()` and hung for good
    inside the main thread's own `Event.wait()`), and it raises nothing, so no cleanup is cut short the way an
    exception from a handler (`sys.exit`, KeyboardInterrupt) cuts it. Each signal also writes its number into a
    pipe (`signal.set_wakeup_fd`), which ends a `wait()` at once. Create it in the main thread before starting
    threads or children, and keep it for the life of the process: a later signal must not find the default
    action back.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self._read, write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(write, False)
        signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, _frame) -> None:
        self.received = self.received or signum

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to `timeout` seconds (None: without end) for a stop signal; True once one has come."""
        if self.received is None:
            select.select([self._read], [], [], timeout)
            try:
                written = os.read(self._read, 512)
            except BlockingIOError:
                written = b""
            # The pipe tells of a signal that came to another thread before the main thread has run its handler.
            stops = [number for number in written if number in STOP_SIGNALS]
            if stops and self.received is None:
                self.received = stops[0]
        return self.received is not None


def stop_children(children: list[subprocess.Popen], seconds: float) -> None:
    """Ask each child to stop (SIGTERM), give them `seconds` in all, then kill those still running."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + seconds
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Only load when the database holds no users.")
def demo_load(if_empty: bool) -> None:
    """Load the demo programme "ESA-Mentorship Kreis Borken"."""
    from app import demo

    if if_empty and demo.database_has_users():
        click.echo("The database has data already; the demo is not loaded again.")
        return
    demo.load_demo(now=utcnow())
    db.session.commit()
    click.echo("Demo programme loaded.")


@rounds_cli.command("solve")
@click.argument("run_id", type=int)
def rounds_solve(run_id: int) -> None:
    """Solve a queued run of a matching round (started in the background by the round's page)."""
    from app.services import rounds

    run = rounds.execute_run(run_id, now_fn=utcnow)
    click.echo(f"run {run_id}: {run.status if run else 'not queued'}")


@rounds_cli.command("export")
@click.argument("round_id", type=int)
def rounds_export(round_id: int) -> None:
    """Print a round as an instance of the matching engine's JSON format (for `python -m matching solve`)."""
    import json

    from app.models import MatchingRound
    from app.services import rounds
    from matching.jsonio import instance_to_json

    round_ = db.session.get(MatchingRound, round_id)
    if round_ is None:
        raise click.ClickException(f"no round {round_id}")
    click.echo(json.dumps(instance_to_json(rounds.build_instance(round_)), ensure_ascii=False, indent=2))


@database_cli.command("create")
def database_create() -> None:
    """Create the PostgreSQL database named in DATABASE_URL when it does not exist yet (SQLite needs nothing)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        click.echo("SQLite: nothing to create.")
        return
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    click.echo(f"database {url.database} {'exists' if exists else 'created'}")


@click.command("prodserver")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
@click.option("--workers", default=2 * (os.cpu_count() or 1) + 1, type=int, show_default="2 x cores + 1")
def prodserver(host: str, port: int, workers: int) -> None:
    """Serve Tandem as in production: gunicorn with several workers, and the scheduler process once beside it."""
    stop = StopSignals()
    children: list[subprocess.Popen] = []
    try:
        children.append(subprocess.Popen([sys.executable, "-m", "flask", "scheduler", "run"]))  # noqa: S603
        gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(workers),  # noqa: S603
                                     "--bind", f"{host}:{port}", "--access-logfile", "-", "wsgi:app"])
        children.insert(0, gunicorn)
        click.echo(f"Tandem runs at http://{host}:{port} with {workers} workers (Ctrl+C to stop)")
        while gunicorn.poll() is None and not stop.wait(1.0):
            pass
    finally:
        # gunicorn's workers finish their requests first; a master killed after the bound leaves workers that end
        # by themselves once they see their parent gone.
        stop_children(children, seconds=15)


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup_create(path: str) -> None:
    """Write every row of every table to PATH (gzipped JSON, portable between SQLite and PostgreSQL)."""
    from pathlib import Path

    from app.services import backup

    counts = backup.create(Path(path))
    click.echo(f"{sum(counts.values())} rows of {len(counts)} tables written to {path}")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def backup_restore(path: str) -> None:
    """Restore PATH into this (empty, migrated) database."""
    from pathlib import Path

    from app.services import backup

    try:
        counts = backup.restore(Path(path))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{sum(counts.values())} rows of {len(counts)} tables restored")


@mail_cli.command("deliver")
def mail_deliver() -> None:
    """Send the queued mails that are due."""
    from app.services import mail

    click.echo(f"{mail.deliver_due(utcnow())} mails sent.")


def _mail_sink(port: int) -> None:
    from app.devmail import start_sink

    controller = start_sink(current_app.config["DEV_MAIL_DIR"], port=port)
    click.echo(f"Development mail sink on 127.0.0.1:{port}, writing to {current_app.config['DEV_MAIL_DIR']}")
    try:
        signal.sigwait(set(STOP_SIGNALS))
    finally:
        controller.stop()


@click.command("mail-sink")
@click.option("--port", default=None, type=int, help="Port on 127.0.0.1 (default: MAIL_PORT).")
def mail_sink(port: int | None) -> None:
    """Run the development SMTP sink; mails can be read under Administration > Mailbox."""
    # Blocked in every thread (the sink's thread inherits the mask), the stop signals reach only `sigwait`: no
    # handler runs at all.
    signal.pthread_sigmask(signal.SIG_BLOCK, set(STOP_SIGNALS))
    _mail_sink(port or current_app.config["MAIL_PORT"])


@click.command("devserver")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def devserver(host: str, port: int) -> None:
    """Serve Tandem for development with its mail sink and its scheduler beside it."""
    from app import demo

    # SIGTERM, SIGINT (Ctrl+C, which the terminal also sends to the children) and SIGHUP all end the server and
    # its children. The web server runs in a thread; the main thread only waits for a stop and then stops the rest.
    stop = StopSignals()
    server = make_server(host, port, current_app._get_current_object(), threaded=True)
    serving = threading.Thread(target=server.serve_forever, name="devserver", daemon=True)
    children: list[subprocess.Popen] = []
    try:
        # The mail sink and the scheduler run as processes of their own beside the web server.
        for command in (["mail-sink"], ["scheduler", "run"]):
            children.append(subprocess.Popen([sys.executable, "-m", "flask", *command]))  # noqa: S603
        stop.wait(0.5)  # the children's first lines come before the logins
        click.echo(demo.logins_text())
        server.log_startup()
        serving.start()
        click.echo(f"Tandem runs at http://{host}:{port}  (Ctrl+C to stop)")
        while serving.is_alive() and not stop.wait(1.0):
            pass
    finally:
        stop_children(children, seconds=5)
        if serving.is_alive():
            server.shutdown()
        else:
            server.server_close()


@admin_cli.command("create")
@click.argument("email")
def admin_create(email: str) -> None:
    """Create an administrator: prints a one-time link with which they set their name and password."""
    from app.services import accounts
    from app.services.errors import ServiceError

    try:
        raw = accounts.invite_administrator(email, now=utcnow())
    except ServiceError as exc:
        raise click.ClickException(str(exc.message)) from exc
    db.session.commit()
    link = current_app.config["BASE_URL"].rstrip("/") + f"/invitation/{raw}"
    days = current_app.config["INVITATION_DAYS"]
    click.echo(f"Open this link within {days} days to set the administrator's name and password (it works once):")
    click.echo(link)


def register_cli(app: Flask) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(rounds_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(database_cli)
    app.cli.add_command(admin_cli)
    app.cli.add_command(prodserver)
    app.cli.add_command(mail_sink)
    app.cli.add_command(devserver)

