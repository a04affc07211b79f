"""Shell commands: `flask seed`, `flask create-user`, `flask export-problem`, `flask import-plan`."""

from flask import Flask


def register_commands(app: Flask) -> None:
    pass
