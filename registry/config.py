"""Configuration from environment variables, with safe defaults."""

import os

DEVELOPMENT_ENVS = {"development", "testing"}


class ConfigError(RuntimeError):
    pass


def from_environment(instance_path: str) -> dict:
    """Read settings from the environment; outside development a SECRET_KEY is required."""
    env = os.environ.get("REGISTRY_ENV", "production")
    secret_key = os.environ.get("SECRET_KEY")
    if not secret_key:
        if env not in DEVELOPMENT_ENVS:
            raise ConfigError(
                "SECRET_KEY is not set. Set it, or set REGISTRY_ENV=development for a local run.")
        secret_key = "dev-only-not-secret"
    database_url = os.environ.get(
        "DATABASE_URL", f"sqlite:///{os.path.join(instance_path, 'registry.sqlite')}")
    return {
        "REGISTRY_ENV": env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TOKEN_LIFETIME_HOURS": int(os.environ.get("TOKEN_LIFETIME_HOURS", "12")),
        # Bodies past this are refused (413) before they are read; the largest legitimate one
        # is an expert spreadsheet (5 MB, see services/expert_sheet.py).
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    } | mail_settings(env) | job_settings()


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
