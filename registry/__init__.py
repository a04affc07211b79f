"""The registry of technical investigators and IP arbitrators: a Flask application factory."""

import os
from pathlib import Path

from flask import Flask

from registry import i18n
from registry.config import API_DOCS, from_environment
from registry.extensions import csrf, db, login_manager, migrate
from registry.json_provider import OrjsonProvider

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings from the environment, then `config` on top (tests use it)."""
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"),
                instance_relative_config=True)
    app.json = OrjsonProvider(app)
    os.makedirs(app.instance_path, exist_ok=True)
    if config and config.get("TESTING"):
        os.environ.setdefault("REGISTRY_ENV", "testing")
    app.config.update(from_environment(app.instance_path))
    app.config.update(API_DOCS)
    app.config.update(config or {})

    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    from registry import (
        models,  # noqa: F401  (every table known to SQLAlchemy and Alembic)
        security,
    )
    from registry.services import notifications

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"),
                     render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    notifications.init_app(app)  # mail after commits (services/notifications.py)
    # Sign-in throttling, then the headers of every response (registry/security.py). The
    # throttle's before_request must come first, before anything reads a request body.
    security.init_app(app)


def register_blueprints(app: Flask) -> None:
    from registry.api import register_api
    from registry.errors import register_error_handlers
    from registry.web import register_web

    register_api(app)
    register_error_handlers(app)
    register_web(app)


def register_cli(app: Flask) -> None:
    from registry.cli import register_commands

    register_commands(app)
