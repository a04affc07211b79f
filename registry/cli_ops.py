"""Operations commands: the audit chain's check, backups and restores (docs/operations.md)."""

import sys
from pathlib import Path

import click

from registry.extensions import db


@click.group("audit")
def audit_group():
    """The audit log's hash chain."""


@audit_group.command("verify")
@click.option("--batch", default=5000, show_default=True, help="Events read per query.")
def verify_command(batch: int):
    """Recompute the chain; name the first broken link (exit 1) or count the events (exit 0)."""
    from registry.services.audit import verify_chain

    with db.engine.connect() as connection:
        report = verify_chain(connection, batch=batch)
    _report_chain(report)


def _report_chain(report) -> None:
    if report.whole:
        click.echo(f"Audit chain whole: {report.events} events, head {report.head_hash} "
                   f"(event {report.head_id or 'none'}).")
        return
    click.echo(f"Audit chain BROKEN at event {report.broken.event_id} "
               f"({report.broken.problem}): {report.broken}. "
               f"{report.events} events before it verify.", err=True)
    sys.exit(1)


@click.group("backup")
def backup_group():
    """Back up and restore the whole database (SQLite or PostgreSQL)."""


@backup_group.command("create")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def create_command(path: Path):
    """Write a backup of the database to PATH (a new file), consistent while the app runs."""
    from registry.services import backups

    try:
        backups.create_backup(db.engine, path)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up {db.engine.url.render_as_string()} to {path} "
               f"({path.stat().st_size} bytes).")


@backup_group.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that holds data.")
def restore_command(path: Path, force: bool):
    """Replace the database by the backup at PATH; print the rows per table and verify the
    audit chain (exit 1 if it is broken)."""
    from registry.services import backups

    try:
        report = backups.restore_backup(db.engine, path, force=force)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {path} into {db.engine.url.render_as_string()}. Rows per table:")
    for name, count in report.row_counts.items():
        click.echo(f"  {name:<40} {count:>9}")
    _report_chain(report.chain)


OPERATIONS_COMMANDS: list = [audit_group, backup_group]
