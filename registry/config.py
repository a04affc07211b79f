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
    }


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
