"""Configuration comes from the environment, with safe defaults."""

import subprocess
import sys

import pytest

from registry.config import ConfigError, from_environment


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("REGISTRY_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        from_environment(str(tmp_path))


def test_development_gets_a_local_key_and_a_sqlite_file_in_the_instance_folder(
        monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("REGISTRY_ENV", "development")
    config = from_environment(str(tmp_path))
    assert config["SECRET_KEY"]
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'registry.sqlite'}"


def test_database_url_and_secret_key_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("REGISTRY_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db/registry")
    config = from_environment(str(tmp_path))
    assert (config["SECRET_KEY"], config["SQLALCHEMY_DATABASE_URI"]) == \
        ("s3cret", "postgresql+psycopg://u@db/registry")


def test_the_production_entry_point_builds_the_app(tmp_path):
    env = {"SECRET_KEY": "s3cret", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
           "REGISTRY_ENV": "production", "PATH": ""}
    result = subprocess.run([sys.executable, "-c", "import registry.wsgi as w; print(w.app.name)"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "registry"
