"""Time each page of bench/load.py's journeys alone (no concurrency), and profile the slow ones.

Usage: .venv/bin/python bench/pages.py [--database-url URL] [--profile NAME] [--repeat 5]
Without --database-url it builds the programme into a fresh PostgreSQL database `tandem_bench_pages` (dropped
after). Each page is requested through the Flask test client as its user; prints the median time, the median CPU
time of this process (less disturbed by other load on the machine; PostgreSQL's own time is not in it) and the
number of SQL statements. --profile NAME (a substring of a page's name) prints pyinstrument's profile of that page.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))

import loadkit  # noqa: E402
from load import recreate_database  # noqa: E402


def pages(accounts: dict) -> list[tuple[str, str, str]]:
    """(name, user's email, path) of each kind of page the load requests."""
    hr, sup, coord = accounts["hr"][0], accounts["supervisors"][0], accounts["coordinators"][0]
    p = accounts["programme_id"]
    return [
        ("login form", "", "/login"),
        ("HR start page", hr["email"], "/hr/"),
        ("group page (HR)", hr["email"], f"/groups/{hr['groups'][0]}"),
        ("meeting page (HR)", hr["email"], f"/meetings/{hr['recent'][0]}"),
        ("company page (HR)", hr["email"], f"/companies/{hr['company_id']}"),
        ("supervisor start page", sup["email"], "/supervisor/"),
        ("group page (supervisor)", sup["email"], f"/groups/{sup['groups'][0]}"),
        ("meeting page (supervisor, to record)", sup["email"], f"/meetings/{sup['recent'][0]}"),
        ("coordinator start page", coord["email"], "/coordinator/"),
        ("programme page", coord["email"], f"/coordinator/programmes/{p}"),
        ("dashboard", coord["email"], f"/coordinator/programmes/{p}/dashboard"),
        ("rounds list", coord["email"], f"/coordinator/programmes/{p}/rounds"),
        ("round page", coord["email"], f"/coordinator/rounds/{accounts['round_id']}"),
        ("groups overview", coord["email"], f"/coordinator/programmes/{p}/groups"),
        ("group page (coordinator)", coord["email"], f"/groups/{coord['groups'][0]}"),
        ("meeting page (coordinator)", coord["email"], f"/meetings/{coord['meetings'][3]}"),
        ("company page (coordinator)", coord["email"], f"/companies/{accounts['companies'][0]}"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--accounts", help="with --database-url: the accounts JSON of an earlier build (--keep)")
    parser.add_argument("--keep", action="store_true", help="keep the database; its accounts go to --accounts")
    parser.add_argument("--profile")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from sqlalchemy import event

    from app import create_app
    from app.config import DevelopmentConfig
    from app.extensions import db

    with tempfile.TemporaryDirectory() as folder:
        if args.database_url:
            url, accounts = args.database_url, json.loads(Path(args.accounts).read_text())
        else:
            url = recreate_database("tandem_bench_pages")
            accounts = loadkit.build_database(url, Path(args.accounts or Path(folder) / "accounts.json"))
        app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=loadkit.SECRET_KEY)
        statements = []
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
        clients = {}
        for name, email, path in pages(accounts):
            if email not in clients:
                client = clients[email] = app.test_client()
                if email:
                    page = client.get("/login").get_data(as_text=True)
                    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
                    assert client.post("/login", data={"csrf_token": token, "email": email,
                                                       "password": accounts["password"]}).status_code == 302
            client = clients[email]
            times, cpu = [], []
            for _ in range(args.repeat):
                statements.clear()
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
                assert response.status_code == 200, (name, response.status_code)
            print(f"{name:40} {statistics.median(times):7.1f} ms  (CPU of this process {statistics.median(cpu):6.1f} ms)"
                  f"  {len(statements):4d} statements")
            if args.profile and args.profile in name:
                from pyinstrument import Profiler

                with Profiler() as profiler:
                    client.get(path)
                print(profiler.output_text(color=False, show_all=False))
        if not args.database_url and not args.keep:
            recreate_database("tandem_bench_pages", drop_only=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
