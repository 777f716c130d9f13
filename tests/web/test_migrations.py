"""Every schema change has its migration: the migrated database equals the models, on both databases."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_migrated_database_is_at_head(app):
    from alembic.script import ScriptDirectory

    with app.app_context(), db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    assert set(current) == set(script.get_heads())


def test_upgrade_keeps_existing_data(backend, tmp_path, smtp_server):
    """`make run` on a database of an older version upgrades it in place; nothing is lost."""
    import contextlib

    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from app.config import TestConfig
    from tests.conftest import postgres_database

    with contextlib.ExitStack() as stack:
        if backend == "postgresql":
            url = stack.enter_context(postgres_database())
        else:
            url = f"sqlite:///{tmp_path / 'old.db'}"
        app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, MAIL_PORT=smtp_server["port"])
        with app.app_context():
            upgrade(revision="0001_foundation")
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO company (id, name, municipality, created_at) "
                                  "VALUES (1, 'Alte Firma', 'Borken', CURRENT_TIMESTAMP)"))
                conn.execute(text("INSERT INTO programme (id, name, region, state_code, created_at) "
                                  "VALUES (1, 'Altes Programm', 'Kreis Borken', 'NW', CURRENT_TIMESTAMP)"))
                conn.execute(text("INSERT INTO application (id, company_id, programme_id, role, status, created_at) "
                                  "VALUES (1, 1, 1, 'mentee', 'submitted', CURRENT_TIMESTAMP)"))
            upgrade()
            from app.models import Application, Company

            company = db.session.get(Company, 1)
            application = db.session.get(Application, 1)
            assert company.name == "Alte Firma" and company.has_charta is False
            assert application.status == "submitted" and application.cycle_max_months == 24
            assert application.weekdays == [] and application.version == 1
            db.session.remove()
            db.engine.dispose()
