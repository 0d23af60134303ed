"""``flask --app trove strip-metadata INPUT OUTPUT``: the media job's stripping, on files."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from trove.media.errors import MediaError
from trove.media.strip import strip_metadata


@click.command("strip-metadata")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("output_path", metavar="OUTPUT", type=click.Path(dir_okay=False, path_type=Path))
def strip_metadata_command(input_path: Path, output_path: Path) -> None:
    """Write INPUT without identifying metadata to OUTPUT (nothing is written on error)."""
    try:
        data = input_path.read_bytes()
        clean = strip_metadata(data)
    except MediaError as error:
        click.echo(f"{input_path}: {error}", err=True)
        sys.exit(1)
    except OSError as error:
        click.echo(f"{input_path}: {error.strerror or error}", err=True)
        sys.exit(1)
    directory = output_path.resolve().parent
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{output_path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(clean)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, output_path)
    except OSError as error:
        if "tmp" in locals():
            Path(tmp).unlink(missing_ok=True)
        click.echo(f"{output_path}: {error.strerror or error}", err=True)
        sys.exit(1)
