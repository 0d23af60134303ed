"""``flask trove storage migrate``: move every stored object to another storage, then switch."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from trove.config import STORAGE_SWITCH_FILE
from trove.files import copy_storage, get_storage, storage_from_url

storage_cli = AppGroup("storage", help="Where photos, thumbnails and archives are stored.")


@storage_cli.command("migrate")
@click.option("--to", "target_url", required=True, help="file:///dir or s3://bucket/prefix")
@click.option("--no-switch", is_flag=True, help="Copy and verify only; keep the current storage.")
def migrate_command(target_url: str, no_switch: bool) -> None:
    """Copy every object to TARGET, verify each by SHA-256, then switch to TARGET.

    Resumable and idempotent: run it again after an interruption and it copies only what is
    missing or different. The old storage is left as it was.
    """
    source = get_storage()
    try:
        target = storage_from_url(target_url, current_app.config)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if target.url == source.url:
        raise click.ClickException(f"Trove already stores its files at {source.url}.")
    click.echo(f"Copying {source.url} -> {target.url}")
    try:
        report = copy_storage(source, target, click.echo)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"{len(report.copied)} object(s) copied, {len(report.already)} already there; "
        "every object verified by SHA-256."
    )
    if no_switch:
        return
    switch = Path(current_app.instance_path) / STORAGE_SWITCH_FILE
    tmp = switch.with_name(f".{switch.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(target.url + "\n")
    os.replace(tmp, switch)
    click.echo(f"Switched: {switch} now names {target.url}. Restart the web and worker processes.")
    if os.environ.get("TROVE_STORAGE_URL", target.url) != target.url:
        click.echo(
            "TROVE_STORAGE_URL is set and wins over the switch: set it to "
            f"{target.url} before restarting."
        )
