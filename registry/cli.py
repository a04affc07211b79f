"""Shell commands. Each is a thin wrapper: parse options, call a service, commit once, report."""

import json

import click
from flask import Flask

from registry.extensions import db


def register_commands(app: Flask) -> None:
    from registry.cli_ops import OPERATIONS_COMMANDS

    for command in (seed_command, demo_logins_command, create_user_command,
                    export_problem_command, import_plan_command, worker_command,
                    purge_tokens_command,
                    *OPERATIONS_COMMANDS):
        app.cli.add_command(command)


@click.command("seed")
@click.option("--demo", is_flag=True, help="Also add the demo registry (experts, cases, requests).")
@click.option("--experts", default=400, show_default=True, help="Demo experts to create.")
def seed_command(demo: bool, experts: int):
    """Load the reference data (cities, IPC fields, courts, agreements); idempotent.

    --demo runs in development only (REGISTRY_ENV development or testing).
    """
    from registry.models import DomainError
    from registry.services import seeding

    counts = seeding.load_reference_data()
    try:
        if demo:
            counts.update(seeding.load_demo_registry(experts=experts))
    except DomainError as error:
        db.session.rollback()
        raise click.UsageError(error.message) from error
    db.session.commit()
    seeding.refresh_statistics()
    click.echo("Seeded: " + ", ".join(f"{n} {what}" for what, n in counts.items()))


@click.command("demo-logins")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True,
              help="Where the app is served.")
def demo_logins_command(url):
    """Print the demo accounts, one per role, with where each signs in and what it opens."""
    from registry.services import seeding

    start_pages = {"clerk": "/clerk/", "expert": "/expert/", "coordinator": "/console/",
                   "admin": "/admin/"}
    click.echo(f"Sign in at {url}/sign-in (password for all: {seeding.DEMO_PASSWORD}):")
    for email, role, scope in seeding.demo_logins():
        click.echo(f"  {role:<12} {email:<36} {url}{start_pages[role]:<14} {scope}")


@click.command("create-user")
@click.argument("email")
@click.option("--role", required=True,
              type=click.Choice(["clerk", "coordinator", "expert", "admin"]))
@click.option("--body", help="Clerk: the handling body's code or id (e.g. sh_ipc).")
@click.option("--region", help="Coordinator: a jurisdiction (SH) or an agreement (YRD, GBA).")
@click.option("--expert", "expert_id", type=int, help="Expert: the expert's id.")
@click.password_option(help="Asked for at the prompt when not given.")
def create_user_command(email, role, body, region, expert_id, password):
    """Create an account scoped to a body, a region or an expert."""
    from registry.models import DomainError
    from registry.services import accounts

    try:
        user = accounts.create_user(email, role, password, body=body, region=region,
                                    expert_id=expert_id)
    except DomainError as error:
        db.session.rollback()
        raise click.UsageError(error.message) from error
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email} (id {user.id})")


@click.command("export-problem")
@click.option("--region", required=True, help="A jurisdiction (SH) or an agreement (YRD, GBA).")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-")
def export_problem_command(region, start, end, output):
    """Write a dispatch-problem/1 document for a region's open requests in a date window."""
    from registry.models import DomainError
    from registry.services import dispatch

    try:
        document, run = dispatch.export_problem(region, start.date(), end.date())
    except DomainError as error:
        db.session.rollback()
        raise click.UsageError(error.message) from error
    db.session.commit()
    json.dump(document, output, ensure_ascii=False, indent=1)
    click.echo(f"Solver run {run.id}: {len(document['requests'])} requests, "
               f"{len(document['experts'])} experts", err=True)
    for problem in run.held_seats_breaking_rules:
        click.echo(f"Held seat left out, resolve it by hand: {problem}", err=True)


@click.command("import-plan")
@click.argument("plan_file", type=click.File("r", encoding="utf-8"))
@click.option("--run", "run_id", type=int, help="The solver run the plan answers (default: "
              "the latest exported run).")
def import_plan_command(plan_file, run_id):
    """Check a dispatch-plan/1 document against its problem and store it as proposals."""
    from registry.models import DomainError
    from registry.services import dispatch

    try:
        plan = json.load(plan_file)
        summary = dispatch.import_plan(plan, run_id=run_id)
    except json.JSONDecodeError as error:
        raise click.UsageError(f"{plan_file.name} is not JSON: {error}") from error
    except DomainError as error:
        db.session.rollback()
        raise click.UsageError(error.message) from error
    db.session.commit()
    click.echo(summary)




@click.command("purge-tokens")
def purge_tokens_command():
    """Delete expired API tokens (issuing a token also does this)."""
    from registry.services import accounts

    purged = accounts.purge_expired_tokens()
    db.session.commit()
    click.echo(f"Purged {purged} expired API token(s).")


@click.command("worker")
@click.option("--slot", default=1, show_default=True, type=click.IntRange(1, 99),
              help="This machine's worker slot. Each process takes its own slot and keeps it "
                   "across restarts: a restarted slot re-runs the jobs its predecessor left.")
@click.option("--executor-id", default=None,
              help="The slot's name across machines (default: HOSTNAME-worker-SLOT).")
def worker_command(slot, executor_id):
    """Solve queued solver runs, one at a time, until stopped (SIGTERM or Ctrl-C)."""
    from flask import current_app

    from registry import jobs

    jobs.run_worker(current_app._get_current_object(), slot, executor_id)
