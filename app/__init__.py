"""The Tandem web application: create_app wires config, extensions, blueprints and CLI."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.config import DEV_SECRET_KEY, Config, config_for_environment, missing_operator_settings
from app.extensions import babel, bootstrap, csrf, db, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | None = None, **overrides) -> Flask:
    """Build the app; the scheduler is never started here (it is its own process)."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), instance_path=str(ROOT / "instance"))
    app.config.from_object(config or config_for_environment())
    app.config.update(overrides)
    if app.config["ENV_NAME"] == "production" and app.config["SECRET_KEY"] in (DEV_SECRET_KEY, "", None):
        raise RuntimeError("Refusing to start in production with the development SECRET_KEY; set SECRET_KEY.")

    if app.config["ENV_NAME"] == "production" and (missing := missing_operator_settings(app.config)):
        # A warning, not a refusal: the database can be migrated and the first administrator created before the
        # operator's details are known; but every page's Impressum says they are missing until they are set.
        app.logger.warning("TANDEM_%s not set: the Impressum and the Datenschutzerklärung cannot name the operator "
                           "(required of a German website). See README, Configuration.", ", TANDEM_".join(missing))

    _ensure_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])

    from app import auth, i18n, security
    from app.cli import register_cli
    from app.errors import register_error_handlers

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    bootstrap.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, default_translation_directories="translations")
    auth.init_login(app)
    with app.app_context():
        _configure_engine(db.engine)

    from app.admin.views import bp as admin_bp
    from app.auth.views import bp as auth_bp
    from app.companies.views import bp as companies_bp
    from app.coordinator.views import bp as coordinator_bp
    from app.cycles.views import bp as cycles_bp
    from app.groups.views import bp as groups_bp
    from app.hr.views import bp as hr_bp
    from app.main.views import bp as main_bp
    from app.meetings.views import bp as meetings_bp
    from app.rounds.views import bp as rounds_bp
    from app.supervisor.views import bp as supervisor_bp

    app.url_map.converters["int"] = security.IdConverter  # before the routes are added: they use it
    for blueprint in (main_bp, auth_bp, admin_bp, hr_bp, supervisor_bp, coordinator_bp, companies_bp,
                      rounds_bp, groups_bp, meetings_bp, cycles_bp):
        app.register_blueprint(blueprint)

    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.after_request(security.set_security_headers)
    register_error_handlers(app)
    register_cli(app)
    from app.templating import register_template_helpers

    register_template_helpers(app)
    security.check_access_rules(app)
    return app


def _ensure_sqlite_folder(url: str) -> None:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def _configure_engine(engine: Engine) -> None:
    """SQLite: WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE so that concurrent writers queue, not fail."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=5000", "synchronous=NORMAL", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
