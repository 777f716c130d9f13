"""Configuration. The only module that reads environment variables."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

DEV_SECRET_KEY = "dev-only-secret-key-change-me"  # noqa: S105 - refused outside development

INSTANCE_DIR = Path(os.environ.get("TANDEM_INSTANCE_DIR", Path(__file__).resolve().parent.parent / "instance"))


def normalise_database_url(url: str) -> str:
    """Make `postgres://` and `postgresql://` URLs use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _limit(variable: str, default: str) -> tuple[int, int]:
    """A throttle setting "REQUESTS/SECONDS", e.g. 30/600."""
    requests, _, seconds = os.environ.get(variable, default).partition("/")
    return int(requests), int(seconds)


class Config:
    """Settings shared by every environment; values come from the environment where set."""

    ENV_NAME = os.environ.get("TANDEM_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    # How often the scheduler looks for due reminders and mail (seconds).
    SCHEDULER_TICK_SECONDS = int(os.environ.get("TANDEM_SCHEDULER_TICK", "60"))
    # On SQLite the scheduler's lead is a lease: another scheduler takes over this long after the leader died.
    SCHEDULER_LEASE_SECONDS = int(os.environ.get("TANDEM_SCHEDULER_LEASE", "20"))
    # A mail a sender claimed but never marked sent (the sender died) is queued again after this many seconds.
    MAIL_CLAIM_TIMEOUT_SECONDS = int(os.environ.get("TANDEM_MAIL_CLAIM_TIMEOUT", "300"))
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'tandem.db'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    BASE_URL = os.environ.get("TANDEM_BASE_URL", "http://127.0.0.1:5000")

    # Mail leaves through SMTP; in development `make run` starts a sink on loopback.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "8025"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0") == "1"
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "0") == "1"
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Tandem <tandem@example.org>")
    DEV_MAIL_DIR = os.environ.get("TANDEM_DEV_MAIL_DIR", str(INSTANCE_DIR / "devmail"))
    DEV_MAILBOX_ENABLED = False

    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LANGUAGES = ("de", "en")

    BOOTSTRAP_SERVE_LOCAL = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "tandem_session"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_NAME = "tandem_remember"
    # Strict-Transport-Security on answers over HTTPS (0: none); production sets a year.
    HSTS_SECONDS = 0

    # argon2id with 19 MiB, t=2, p=1: one of the settings OWASP's cheat sheet lists as equally strong (46 MiB, t=1
    # is another), and the cheapest here: about 20 ms a login on these 2-core machines, against 50 ms for 46 MiB
    # and 170 ms of a core for RFC 9106's low-memory profile (64 MiB, t=3, p=4), with which a handful of people
    # logging in at once held up every page (bench/load.py). Hashes are upgraded at the next login.
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19 * 1024
    ARGON2_PARALLELISM = 1

    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    # Throttles per client address or e-mail address, counted in the database across every worker and host:
    # (requests allowed, per this many seconds). Over the limit the page answers 429.
    THROTTLE_LOGIN = _limit("TANDEM_THROTTLE_LOGIN", "30/600")
    THROTTLE_REGISTER = _limit("TANDEM_THROTTLE_REGISTER", "10/3600")
    THROTTLE_PASSWORD_RESET = _limit("TANDEM_THROTTLE_PASSWORD_RESET", "10/3600")
    # Reset mails to one address, whoever asks (more requests get the same answer, and no mail).
    THROTTLE_RESET_MAIL = _limit("TANDEM_THROTTLE_RESET_MAIL", "3/3600")
    # Behind a reverse proxy: how many proxies in front set X-Forwarded-For/-Proto/-Host (0: Tandem is reached
    # directly and ignores those headers, which a client could forge).
    PROXY_HOPS = int(os.environ.get("TANDEM_PROXY_HOPS", "0"))
    # The operator of this Tandem (Impressum and Datenschutzerklärung on every page's footer; a German website must
    # name them). Name, postal address and e-mail are required in production; see README, "Configuration".
    OPERATOR_NAME = os.environ.get("TANDEM_OPERATOR_NAME", "")
    OPERATOR_ADDRESS = os.environ.get("TANDEM_OPERATOR_ADDRESS", "")  # lines separated by ";"
    OPERATOR_EMAIL = os.environ.get("TANDEM_OPERATOR_EMAIL", "")
    OPERATOR_PHONE = os.environ.get("TANDEM_OPERATOR_PHONE", "")
    OPERATOR_REPRESENTATIVE = os.environ.get("TANDEM_OPERATOR_REPRESENTATIVE", "")  # who represents it in law
    OPERATOR_REGISTER = os.environ.get("TANDEM_OPERATOR_REGISTER", "")  # e.g. "Amtsgericht Coesfeld, HRB 1234"
    OPERATOR_VAT_ID = os.environ.get("TANDEM_OPERATOR_VAT_ID", "")
    PRIVACY_OFFICER = os.environ.get("TANDEM_PRIVACY_OFFICER", "")  # the data protection officer's contact
    PASSWORD_RESET_HOURS = 2
    INVITATION_DAYS = 7
    # A registration's link (nothing is created before it is opened).
    REGISTRATION_HOURS = 48


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEV_MAILBOX_ENABLED = True
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False


class ProductionConfig(Config):
    ENV_NAME = "production"
    # `__Host-`: a browser keeps these cookies only when they come with Secure, for the whole site and for this host
    # alone (Path=/, no Domain), so that no other host under the same domain can set or overwrite them.
    SESSION_COOKIE_NAME = "__Host-tandem_session"
    REMEMBER_COOKIE_NAME = "__Host-tandem_remember"
    # Browsers that once reached Tandem over HTTPS use nothing else for a year (ASVS 5.0 asks for a year and the
    # subdomains). Sent only on answers that came over HTTPS, behind a proxy as its X-Forwarded-Proto says.
    HSTS_SECONDS = 365 * 24 * 3600


class TestConfig(Config):
    """Used by the test suite; the fixtures set the database URL and SMTP port."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    DEV_MAILBOX_ENABLED = True
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    # A cheaper but still real argon2id, so hundreds of test logins stay fast.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8 * 1024
    ARGON2_PARALLELISM = 1
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 0
    # The suite logs in hundreds of times from one address; tests/web/test_throttle.py sets real limits.
    THROTTLE_LOGIN = THROTTLE_REGISTER = THROTTLE_PASSWORD_RESET = THROTTLE_RESET_MAIL = (1_000_000, 3600)


REQUIRED_OPERATOR_SETTINGS = ("OPERATOR_NAME", "OPERATOR_ADDRESS", "OPERATOR_EMAIL")


def missing_operator_settings(config) -> list[str]:
    """The operator settings an Impressum needs that are not set."""
    return [name for name in REQUIRED_OPERATOR_SETTINGS if not (config.get(name) or "").strip()]


def config_for_environment() -> type[Config]:
    """The config class named by TANDEM_ENV (development by default)."""
    name = os.environ.get("TANDEM_ENV", "development")
    return {"production": ProductionConfig, "test": TestConfig}.get(name, DevelopmentConfig)
