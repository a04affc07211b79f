"""Configuration from environment variables, with safe defaults."""

import os
import secrets

DEVELOPMENT_ENVS = {"development", "testing"}


class ConfigError(RuntimeError):
    pass


def from_environment(instance_path: str) -> dict:
    """Read settings from the environment; outside development a SECRET_KEY is required."""
    env = os.environ.get("REGISTRY_ENV", "production")
    secret_key = os.environ.get("SECRET_KEY") or local_secret_key(env, instance_path)
    database_url = os.environ.get(
        "DATABASE_URL", f"sqlite:///{os.path.join(instance_path, 'registry.sqlite')}")
    return {
        "REGISTRY_ENV": env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A pooled connection is tested before use: after a database restart the stale ones
        # are replaced instead of failing the request.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "TOKEN_LIFETIME_HOURS": int(os.environ.get("TOKEN_LIFETIME_HOURS", "12")),
        # Bodies past this are refused (413) before they are read; the largest legitimate one
        # is an expert spreadsheet (5 MB, see services/expert_sheet.py).
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        # Every other body (JSON, forms) is held to this (registry/input_guard.py).
        "JSON_MAX_BYTES": 1024 * 1024,
    } | mail_settings(env) | job_settings() | cookie_settings(env) | throttle_settings()


SECRET_KEY_FILE = "secret_key"


def local_secret_key(env: str, instance_path: str) -> str:
    """Without SECRET_KEY: refuse outside development; in tests a key per process; in
    development one made at random once and kept in instance/secret_key (mode 0600), so that
    sessions survive restarts and nobody can forge one with a key printed in the source."""
    if env not in DEVELOPMENT_ENVS:
        raise ConfigError(
            "SECRET_KEY is not set. Set it, or set REGISTRY_ENV=development for a local run.")
    if env == "testing":
        return secrets.token_hex(32)
    path = os.path.join(instance_path, SECRET_KEY_FILE)
    if not os.path.exists(path):
        _write_new_key(path)
    with open(path, encoding="ascii") as file:
        return file.read().strip()


def _write_new_key(path: str) -> None:
    """Written aside, then linked into place (which fails if the file exists): two processes
    starting at once agree on one key, and nobody reads a half-written one."""
    aside = f"{path}.{os.getpid()}"
    descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(secrets.token_hex(32))
    try:
        os.link(aside, path)
    except FileExistsError:
        pass  # another process was first: use its key
    finally:
        os.unlink(aside)


def cookie_settings(env: str) -> dict:
    """Session and remember-me cookies: never readable by scripts, not sent on cross-site
    posts, and over HTTPS only in production (a local run is plain HTTP)."""
    secure = env not in DEVELOPMENT_ENVS
    return {
        "SESSION_COOKIE_SECURE": secure, "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure, "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
    }


def throttle_settings() -> dict:
    """Sign-in throttling (registry/security.py, docs/security.md). Limits are Flask-Limiter
    strings; only failed attempts count. Several workers must share one storage: Redis."""
    return {
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Redis keys start with this (memory:// ignores it); set per app, unlike Flask-Limiter's
        # own RATELIMIT_KEY_PREFIX, which its shared extension object keeps from the first app.
        "RATELIMIT_STORAGE_OPTIONS": {
            "key_prefix": os.environ.get("RATELIMIT_KEY_PREFIX", "registry-limits")},
        "SIGN_IN_LIMIT_PER_ACCOUNT": os.environ.get("SIGN_IN_LIMIT_PER_ACCOUNT",
                                                    "5 per minute; 20 per hour"),
        "SIGN_IN_LIMIT_PER_ADDRESS": os.environ.get("SIGN_IN_LIMIT_PER_ADDRESS",
                                                    "20 per minute; 100 per hour"),
        # Refused attempts kept in the audit log, per account tried and address: the first
        # of each window. Each refusal writing a row would let a guesser fill the log and
        # queue every other write behind the audit chain (docs/security.md).
        "SIGN_IN_THROTTLED_RECORDS": os.environ.get("SIGN_IN_THROTTLED_RECORDS",
                                                    "1 per minute"),
    }


def job_settings() -> dict:
    """Solver jobs (registry/jobs.py, docs/jobs.md)."""
    return {
        # DBOS's tables: in the app's own database unless this names another one.
        "JOBS_DATABASE_URL": os.environ.get("JOBS_DATABASE_URL", ""),
        # A running run whose worker has been silent this long is failed by the sweep.
        "JOBS_STALE_AFTER_S": _number("JOBS_STALE_AFTER_S", "60", float),
        "JOBS_SWEEP_EVERY_S": _number("JOBS_SWEEP_EVERY_S", "10", float),
    }


MAIL_BACKENDS = ("smtp", "console", "none")


def mail_settings(env: str) -> dict:
    """Mail settings (services/notifications.py). Without MAIL_BACKEND: "smtp" when MAIL_SERVER
    is set, "console" in development (mails are printed), "none" in tests and otherwise."""
    server = os.environ.get("MAIL_SERVER", "")
    default_backend = "none" if env == "testing" else \
        "smtp" if server else "console" if env == "development" else "none"
    backend = (os.environ.get("MAIL_BACKEND") or default_backend).strip().lower()
    if backend not in MAIL_BACKENDS:
        raise ConfigError(f"MAIL_BACKEND is {backend!r}; use one of {', '.join(MAIL_BACKENDS)}.")
    return {
        "MAIL_BACKEND": backend,
        "MAIL_SERVER": server,
        "MAIL_PORT": _number("MAIL_PORT", "25", int),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", "false"),  # STARTTLS on the plain port
        "MAIL_FROM": os.environ.get("MAIL_FROM", ""),
        "MAIL_TIMEOUT": _number("MAIL_TIMEOUT", "10", float),  # seconds per SMTP step
        # Where users reach the site: links in mails are this plus the page's path.
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000"),
    }


def _number(name: str, default: str, kind: type):
    value = os.environ.get(name, default)
    try:
        return kind(value)
    except ValueError:
        raise ConfigError(f"{name} is {value!r}, which is not a number.") from None


def _flag(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value not in {"1", "true", "yes", "on", "0", "false", "no", "off", ""}:
        raise ConfigError(f"{name} is {value!r}; use true or false.")
    return value in {"1", "true", "yes", "on"}


API_DOCS = {
    "API_TITLE": "Expert dispatch registry",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    # Served from our own static folder: the documented CDN is unreachable offline.
    "OPENAPI_SWAGGER_UI_URL": "/static/swagger-ui/",
    "API_SPEC_OPTIONS": {
        "components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer"},
            "basicAuth": {"type": "http", "scheme": "basic"},
        }},
        "security": [{"bearerAuth": []}],
    },
}
