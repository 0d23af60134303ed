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
from trove.media.errors import StorageUnavailable

storage_cli = AppGroup("storage", help="Where photos, thumbnails and archives are stored.")

#: The settings an s3:// storage is reached with; the target may have its own (--to-…).
S3_SETTINGS = ("S3_ENDPOINT_URL", "S3_REGION", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY")


def _target_option(setting: str, help_text: str) -> click.Option:
    """Return the ``--to-…`` option (or TROVE_TO_… variable) for one S3 setting."""
    name = setting.removeprefix("S3_").lower().replace("_", "-")
    return click.option(
        f"--to-{name}", setting, envvar=f"TROVE_TO_{setting}", default=None, help=help_text
    )


@storage_cli.command("migrate")
@click.option("--to", "target_url", required=True, help="file:///dir or s3://bucket/prefix")
@click.option("--no-switch", is_flag=True, help="Copy and verify only; keep the current storage.")
@_target_option("S3_ENDPOINT_URL", "The target's S3 server (default: TROVE_S3_ENDPOINT_URL).")
@_target_option("S3_REGION", "The target bucket's region (default: TROVE_S3_REGION).")
@_target_option("S3_ACCESS_KEY_ID", "The target's key id (default: TROVE_S3_ACCESS_KEY_ID).")
@_target_option(
    "S3_SECRET_ACCESS_KEY", "The target's secret; better as TROVE_TO_S3_SECRET_ACCESS_KEY."
)
def migrate_command(target_url: str, no_switch: bool, **target_s3: str | None) -> None:
    """Copy every object to TARGET, verify each by SHA-256, then switch to TARGET.

    Resumable and idempotent: run it again after an interruption and it copies only what is
    missing or different. The old storage is left as it was. Objects go straight from one
    storage to the other (S3 to S3 too), a chunk at a time.
    """
    config = current_app.config
    current = {key: config.get(key) for key in S3_SETTINGS}
    settings = {**current, **{key: value for key, value in target_s3.items() if value}}
    try:
        source = get_storage()
        target = storage_from_url(target_url, settings)
    except (ValueError, StorageUnavailable) as error:
        raise click.ClickException(f"{target_url}: {error} {error.__cause__ or ''}") from None
    if target.url == source.url and settings == current:
        raise click.ClickException(f"Trove already stores its files at {source.url}.")
    click.echo(f"Copying {source.url} -> {target.url}")
    try:
        report = copy_storage(source, target, click.echo)
    except (RuntimeError, StorageUnavailable) as error:
        raise click.ClickException(
            f"{error} {error.__cause__ or ''} Run the command again to resume."
        ) from None
    click.echo(
        f"{len(report.copied)} object(s) copied, {len(report.already)} already there; "
        "every object verified by SHA-256."
    )
    if no_switch:
        return
    if target.url.startswith("s3://") and settings != current:
        # The switch file names a URL only: another server or key pair is configuration.
        click.echo(
            f"Not switched: set TROVE_STORAGE_URL={target.url} and the target's TROVE_S3_* "
            "settings on every host, then restart the web and worker processes."
        )
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
