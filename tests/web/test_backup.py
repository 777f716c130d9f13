"""`flask backup create` and `flask backup restore`: into an empty database, every row comes back."""
from __future__ import annotations

import contextlib

from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.services import backup
from tests.conftest import postgres_database


def _rows(application) -> dict:
    with application.app_context():
        return {t.name: sorted((tuple(sorted((k, repr(backup._encode(v))) for k, v in r._mapping.items()))
                                for r in db.session.execute(select(t))), key=repr)
                for t in db.metadata.sorted_tables}


@contextlib.contextmanager
def _empty_database(backend: str, tmp_path):
    if backend == "postgresql":
        with postgres_database() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'restored.db'}"


def test_a_backup_restores_into_an_empty_database_with_every_row(app, demo_world, backend, tmp_path):
    path = tmp_path / "tandem.backup.json.gz"
    result = app.test_cli_runner().invoke(args=["backup", "create", str(path)])
    assert result.exit_code == 0, result.output
    original = _rows(app)
    assert sum(len(rows) for rows in original.values()) > 500
    with _empty_database(backend, tmp_path) as url:
        target = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
        with target.app_context():
            upgrade()
        result = target.test_cli_runner().invoke(args=["backup", "restore", str(path)])
        assert result.exit_code == 0, result.output
        assert _rows(target) == original
        # A second restore into the now full database is refused with a message, and changes nothing.
        again = target.test_cli_runner().invoke(args=["backup", "restore", str(path)])
        assert again.exit_code != 0 and "not empty" in again.output
        # New rows continue after the restored ids.
        with target.app_context():
            from app.models import Programme

            programme = Programme(name="Nach der Wiederherstellung", region="X", state_code="NW")
            db.session.add(programme)
            db.session.commit()
            assert programme.id > max(p.id for p in db.session.scalars(select(Programme)) if p is not programme)
            db.session.remove()
            db.engine.dispose()
