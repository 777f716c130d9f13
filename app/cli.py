"""Command-line commands: `flask demo load`, `flask mail-sink`, `flask devserver`, `flask mail deliver`."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from werkzeug.serving import run_simple

from app.extensions import db
from app.models import utcnow

demo_cli = AppGroup("demo", help="The demo programme.")
mail_cli = AppGroup("mail", help="The mail outbox.")
rounds_cli = AppGroup("rounds", help="Matching rounds.")
backup_cli = AppGroup("backup", help="Backup and restore (SQLite and PostgreSQL).")
database_cli = AppGroup("database", help="The database itself.")


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
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    scheduler = subprocess.Popen([sys.executable, "-m", "flask", "scheduler", "run"])  # noqa: S603
    gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",  # noqa: S603
                                 f"{host}:{port}", "--access-logfile", "-", "wsgi:app"])
    click.echo(f"Tandem runs at http://{host}:{port} with {workers} workers (Ctrl+C to stop)")
    try:
        gunicorn.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for child in (gunicorn, scheduler):
            child.terminate()
        for child in (gunicorn, scheduler):
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()


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
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        controller.stop()


@click.command("mail-sink")
@click.option("--port", default=None, type=int, help="Port on 127.0.0.1 (default: MAIL_PORT).")
def mail_sink(port: int | None) -> None:
    """Run the development SMTP sink; mails can be read under Administration > Mailbox."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    _mail_sink(port or current_app.config["MAIL_PORT"])


@click.command("devserver")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def devserver(host: str, port: int) -> None:
    """Serve Tandem for development with its mail sink and its scheduler beside it."""
    from app import demo

    # SIGTERM ends the server like Ctrl+C does, so that the children are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # The mail sink and the scheduler run as processes of their own beside the web server.
    children = [subprocess.Popen([sys.executable, "-m", "flask", "mail-sink"]),  # noqa: S603
                subprocess.Popen([sys.executable, "-m", "flask", "scheduler", "run"])]  # noqa: S603
    time.sleep(0.5)
    click.echo(demo.logins_text())
    click.echo(f"Tandem runs at http://{host}:{port}  (Ctrl+C to stop)")
    try:
        run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=10)


def register_cli(app: Flask) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(rounds_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(database_cli)
    app.cli.add_command(prodserver)
    app.cli.add_command(mail_sink)
    app.cli.add_command(devserver)
