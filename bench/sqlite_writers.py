"""Eight supervisors save session records at once on SQLite, through gunicorn's workers: none locked out, none lost.

Usage: .venv/bin/python bench/sqlite_writers.py [--writers 8] [--duration 30] [--workers 5]
Builds bench/dashboard.py's programme and its accounts (bench/loadkit.py) into a throwaway SQLite file, serves it
with gunicorn (5 sync workers, as bench/load.py), and lets 8 supervisors, each in a thread of their own, log in
through the form and save the record of their latest session again and again through the real form (attendance,
minutes, confidential note, and each time a new measure with a unique title), without pause, for 30 s.
Afterwards it counts in the database: every save answered with the redirect of success must have left its measure
(one row per success, none more), the last save of each writer its minutes, and no attendance twice. Any answer
other than that redirect, and any "database is locked" in the server's log, is an error. Targets: zero of each.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))

import loadkit  # noqa: E402


def writer(base: str, account: dict, password: str, index: int, until: float, results: dict) -> None:
    """Save the record of the supervisor's latest session until the time is up; note each answer."""
    browser = loadkit.Browser(base)
    browser.login(account["email"], password)
    meeting_id = account["recent"][0]
    n = 0
    while time.monotonic() < until:
        n += 1
        status, page = browser.request(f"/meetings/{meeting_id}")
        if status != 200:
            results["errors"].append((index, n, "GET", status, page[:200]))
            continue
        title = f"w{index}-{n}"
        started = time.perf_counter()
        status, page = browser.request(f"/meetings/{meeting_id}/record",
                                       loadkit.record_form(page, minutes=f"Protokoll {title}", measure=title))
        results["times"].append((time.perf_counter() - started) * 1000)
        if status == 302:
            results["ok"].setdefault(index, []).append(title)
        else:
            results["errors"].append((index, n, "POST", status, page[:200]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--workers", type=int, default=5)
    args = parser.parse_args()
    from sqlalchemy import create_engine, func, select

    from app.models import Attendance, Measure, SessionRecord

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/writers.db"
        accounts = loadkit.build_database(url, Path(folder) / "accounts.json")
        port = loadkit.free_port()
        log = Path(folder) / "gunicorn.log"
        env = {"DATABASE_URL": url, "SECRET_KEY": loadkit.SECRET_KEY, "TANDEM_ENV": "development",
               "FLASK_APP": "wsgi.py"}
        with log.open("w") as stderr:
            server = loadkit.gunicorn("wsgi:app", port, workers=args.workers, worker_class="sync", threads=1,
                                      env=env, stderr=stderr)
            results: dict = {"ok": {}, "errors": [], "times": []}
            until = time.monotonic() + args.duration
            threads = [threading.Thread(target=writer, args=(f"http://127.0.0.1:{port}", accounts["supervisors"][i],
                                                              accounts["password"], i, until, results))
                       for i in range(args.writers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            loadkit.stop(server)
        locked = log.read_text().count("database is locked")

        engine = create_engine(url)
        with engine.connect() as conn:
            stored = set(conn.scalars(select(Measure.title).where(Measure.title.like("w%-%"))))
            lost = extra = wrong_minutes = 0
            for index, titles in results["ok"].items():
                lost += sum(1 for t in titles if t not in stored)
                meeting_id = accounts["supervisors"][index]["recent"][0]
                minutes = conn.scalar(select(SessionRecord.minutes).where(SessionRecord.meeting_id == meeting_id))
                wrong_minutes += minutes != f"Protokoll {titles[-1]}"
            extra = len(stored - {t for titles in results["ok"].values() for t in titles})
            meeting_ids = [accounts["supervisors"][i]["recent"][0] for i in range(args.writers)]
            doubled = conn.execute(select(Attendance.meeting_id, Attendance.application_id, func.count())
                                   .where(Attendance.meeting_id.in_(meeting_ids))
                                   .group_by(Attendance.meeting_id, Attendance.application_id)
                                   .having(func.count() > 1)).all()
        engine.dispose()

    saves = sum(len(t) for t in results["ok"].values())
    times = sorted(results["times"]) or [0.0]
    print(f"SQLite, {args.writers} writers without pause for {args.duration:.0f} s, gunicorn {args.workers} sync workers")
    print(f"successful saves: {saves} ({saves / args.duration:.1f}/s); save latency p50 "
          f"{statistics.median(times):.0f} ms, p95 {times[int(0.95 * (len(times) - 1))]:.0f} ms, max {times[-1]:.0f} ms")
    checks = [("failed answers", len(results["errors"])), ('"database is locked" in the server log', locked),
              ("lost writes (a success without its measure row)", lost),
              ("writes stored without a success", extra),
              ("records whose minutes are not the writer's last save", wrong_minutes),
              ("attendance rows stored twice", len(doubled))]
    for label, count in checks:
        print(f"{label:55} {count:5d}  (target 0) {'PASS' if count == 0 else 'FAIL'}")
    for error in results["errors"][:5]:
        print("  e.g.", error)
    print("overall:", "PASS" if all(count == 0 for _, count in checks) and saves else "FAIL")
    return 0


if __name__ == "__main__":
    sys.exit(main())
