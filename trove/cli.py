"""``flask trove …`` commands: create-admin, worker, sweep, backfill-thumbnails, backup, restore,
seed-demo."""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from trove.accounts import service as accounts
from trove.accounts.models import Role, User
from trove.backup import BackupError, backup, restore
from trove.demo import seed
from trove.errors import DomainError
from trove.extensions import db
from trove.media.cli import strip_metadata_command
from trove.tasks import redis_connection, sweep

trove_cli = AppGroup("trove", help="Trove administration commands.")


@trove_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="Admin", show_default=True, help="Display name.")
@click.option(
    "--password",
    envvar="TROVE_ADMIN_PASSWORD",
    help="Password (default: prompt; or TROVE_ADMIN_PASSWORD).",
)
def create_admin(email: str, name: str, password: str | None) -> None:
    """Create an instance admin, or make an existing account one."""
    user = accounts.find_user_by_email(email)
    if user is not None:
        user.role = Role.ADMIN
        db.session.commit()
        click.echo(f"{user.email} is now an admin.")
        return
    if not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise click.ClickException("Use a password of at least 10 characters.")
    try:
        user = accounts.create_user(email, password, name, role=Role.ADMIN)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Admin {user.email} created. Sign in at /login.")


@trove_cli.command("worker")
@click.option(
    "--queues", default="media,payouts,default", show_default=True, help="Queues, in priority."
)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(queues: str, burst: bool) -> None:
    """Run an RQ worker (with scheduler, heartbeats and the sweep) in the app context."""
    # Loaded only for this command: importing redis/rq costs ~0.5 s of start-up otherwise.
    from rq import Queue

    from trove.worker import TroveWorker

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException(
            "REDIS_URL is not set: jobs run inside the web process, no worker is needed."
        )
    conn = redis_connection()
    names = [name.strip() for name in queues.split(",") if name.strip()]
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    worker = TroveWorker([Queue(n, connection=conn) for n in names], connection=conn, app=app)
    worker.start_heartbeats()
    if burst:
        sweep()
    # Forked work-horses must open their own database connections.
    db.session.remove()
    db.engine.dispose()
    worker.work(with_scheduler=True, burst=burst, logging_level="INFO")
    if worker.failed_fatally:
        # Redis is gone for good (or the worker broke): exit non-zero so the service
        # manager restarts it and the failure shows.
        raise SystemExit(1)


@trove_cli.command("sweep")
def sweep_command() -> None:
    """Re-enqueue work that a crash or an outage left unfinished."""
    click.echo(f"{sweep()} item(s) re-enqueued.")


@trove_cli.command("backfill-thumbnails")
@click.option("--batch", default=50, show_default=True, help="Photos per transaction.")
def backfill_thumbnails(batch: int) -> None:
    """Make the small (phone) thumbnail of photos processed before it existed.

    Run once after upgrading; safe to stop and run again (it goes on where it stopped).
    """
    from trove.submissions.thumbs import backfill_small_thumbs

    after, made, skipped = 0, 0, 0
    while (step := backfill_small_thumbs(after, max(1, batch))).last_id is not None:
        after, made, skipped = step.last_id, made + step.made, skipped + step.skipped
        click.echo(f"{made} made, {skipped} skipped (up to photo {after})")
    click.echo(f"Done: {made} small thumbnail(s) made, {skipped} photo(s) without a stored file.")


@trove_cli.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def backup_command(folder: Path) -> None:
    """Back up the database, the stored files and the secret key into FOLDER (new/empty)."""
    try:
        manifest = backup(folder)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up the database and {manifest['files']} file(s) into {folder}.")


@trove_cli.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(folder: Path, yes: bool) -> None:
    """Replace the database, the stored files and the secret key with the backup in FOLDER."""
    if not yes:
        click.confirm(
            "This replaces the whole database and every stored file. Stop the web processes "
            "and workers first. Go ahead?",
            abort=True,
        )
    try:
        manifest = restore(folder)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Restored the backup of {manifest['created_at']} ({manifest['files']} file(s)). "
        "Start the web processes and workers again."
    )


@trove_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) if accounts exist.")
def seed_demo(if_empty: bool) -> None:
    """Fill an empty database with demo data and print how to sign in."""
    if db.session.scalar(select(func.count()).select_from(User)):
        if if_empty:
            return
        raise click.ClickException(
            "The database already has accounts; seed-demo fills only an empty one."
        )
    logins = seed(password_factory=lambda: secrets.token_urlsafe(9))
    db.session.commit()
    click.echo(f"Demo data for {current_app.config['LAB_NAME']} is ready. Sign in at /login as:")
    for role, email, password in logins:
        click.echo(f"  {role:<22} {email:<28} password: {password}")


def init_app(app: Flask) -> None:
    """Register the command groups on ``app``."""
    from trove.storage_cli import storage_cli

    trove_cli.add_command(storage_cli)
    app.cli.add_command(trove_cli)
    app.cli.add_command(strip_metadata_command)
