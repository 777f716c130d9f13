"""Measure a bulk import of 1,000 companies (dry run and confirmed import) on a throwaway SQLite database.

Usage: .venv/bin/python bench/company_import.py [--rows 1000] [--database-url URL]
Prints the measured seconds; the target is under 10 s for 1,000 rows.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Programme, Role, User, utcnow  # noqa: E402
from app.services import company_import, gazetteer  # noqa: E402


def make_csv(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    places = [p.label for p in gazetteer.places() if p.state_code == "NW" and p.population > 5000]
    lines = ["company_name;role;sector;headcount_band;municipality;works_council;shift_work;hr_name;hr_email;"
             "mentee_capacity"]
    for i in range(rows):
        role = "mentor" if i % 3 == 0 else "mentee"
        lines.append(";".join([
            f"Firma {i:05d} GmbH", role, rng.choice("CFGHMQ"), rng.choice(["le15", "16_25", "26_50", "51_250"]),
            rng.choice(places), rng.choice(["ja", "nein"]), rng.choice(["ja", "nein"]), f"Person {i}",
            f"hr{i}@bench.example", "2" if role == "mentor" else "",
        ]))
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        # Mails are queued in the outbox as in production; delivery is not part of the import's time.
        app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, SERVER_NAME="tandem.example")
        data = make_csv(args.rows)
        with app.app_context(), app.test_request_context():
            upgrade()
            programme = Programme(name="Bench", region="NRW", state_code="NW")
            actor = User(email="bench@example.org", full_name="Bench", password_hash="!", role=Role.COORDINATOR)  # noqa: S106 (no login)
            db.session.add_all([programme, actor])
            db.session.commit()
            gazetteer.places()
            start = time.perf_counter()
            batch, rows = company_import.start_import(programme, "bench.csv", data, actor=actor, now=utcnow())
            db.session.commit()
            dry = time.perf_counter() - start
            errors = sum(1 for r in rows if r.errors)
            if errors:
                for row in [r for r in rows if r.errors][:5]:
                    print(f"row {row.number}: {[str(e) for e in row.errors]}")
                raise SystemExit(f"{errors} rows have errors: the generated file is wrong")
            start = time.perf_counter()
            mails = company_import.confirm_import(batch, actor=actor, now=utcnow())
            db.session.commit()
            confirmed = time.perf_counter() - start
        print(f"rows: {args.rows}, rows with errors: {errors}, invitations queued: {len(mails)}")
        print(f"dry run:          {dry:6.2f} s")
        print(f"confirmed import: {confirmed:6.2f} s")
        print(f"total:            {dry + confirmed:6.2f} s  (target < 10 s)")


if __name__ == "__main__":
    main()
