"""``flask --app trove strip-metadata INPUT OUTPUT``: the media job's stripping, on files."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import click

from trove.media.errors import MediaError
from trove.media.strip import strip_metadata


@click.command("strip-metadata")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("output_path", metavar="OUTPUT", type=click.Path(dir_okay=False, path_type=Path))
def strip_metadata_command(input_path: Path, output_path: Path) -> None:
    """Write INPUT without identifying metadata to OUTPUT; on bad input write nothing."""
    try:
        clean = strip_metadata(input_path.read_bytes())
    except MediaError as error:
        _fail(f"{input_path}: {error}")
    except OSError as error:
        _fail(f"{input_path}: {error.strerror or error}")
    try:
        _write_atomic(output_path, clean)
    except OSError as error:
        _fail(f"{output_path}: {error.strerror or error}")


def _fail(message: str) -> None:
    click.echo(" ".join(message.split()), err=True)  # always one line
    sys.exit(1)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with tmp.open("xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
