"""Local file storage: a quarantine for raw uploads, content-addressed originals, thumbnails.

Every write goes to a temporary name in the target directory, is flushed to disk and then
renamed into place, so a reader (or a crash) never sees half a file.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from trove.media.errors import FileTooLarge, MediaError, StorageFull

_QUARANTINE_NAME = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
_KEY = re.compile(r"^[0-9a-f]{64}\.(jpeg|png|webp)$")
_CHUNK = 1024 * 1024
_TMP_SUFFIX = ".tmp"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalStorage:
    """Files under one root directory."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.quarantine = self.root / "quarantine"
        self.originals = self.root / "originals"
        self.derived = self.root / "derived"

    # --- writing --------------------------------------------------------------------------

    def _write_atomic(self, target: Path, chunks: Iterator[bytes], max_bytes: int | None) -> int:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}{_TMP_SUFFIX}"
        written = 0
        try:
            with open(tmp, "xb") as handle:
                for chunk in chunks:
                    written += len(chunk)
                    if max_bytes is not None and written > max_bytes:
                        raise FileTooLarge(
                            f"The file is larger than the {max_bytes // (1024 * 1024)} MB "
                            "this site accepts."
                        )
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        except OSError as error:
            tmp.unlink(missing_ok=True)
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFull(
                    "The server has no room to store this photo right now. Try again later."
                ) from None
            raise
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return written

    def save_quarantine(self, stream: BinaryIO, *, max_bytes: int) -> str:
        """Copy an upload stream into quarantine under a random name and return the name."""
        name = secrets.token_urlsafe(32)

        def chunks() -> Iterator[bytes]:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    return
                yield chunk

        self._write_atomic(self.quarantine / name, chunks(), max_bytes)
        return name

    def put_original(self, data: bytes, ext: str) -> str:
        """Store a stripped photo by its SHA-256 and return its key (idempotent)."""
        import hashlib

        key = f"{hashlib.sha256(data).hexdigest()}.{ext}"
        path = self.original_path(key)
        if not path.exists():
            self._write_atomic(path, iter((data,)), None)
        return key

    def put_derived(self, key: str, size: int, data: bytes) -> Path:
        """Store a thumbnail of original ``key`` at ``size`` (idempotent)."""
        path = self.derived_path(key, size)
        if not path.exists():
            self._write_atomic(path, iter((data,)), None)
        return path

    # --- paths and reading ------------------------------------------------------------------

    def quarantine_path(self, name: str) -> Path:
        """Return the path of a quarantined upload (names are checked, never trusted)."""
        if not _QUARANTINE_NAME.match(name):
            raise MediaError("Unknown upload.")
        return self.quarantine / name

    def read_quarantine(self, name: str) -> bytes:
        """Return a quarantined upload's bytes."""
        return self.quarantine_path(name).read_bytes()

    def delete_quarantine(self, name: str) -> None:
        """Delete a quarantined upload (no error if it is already gone)."""
        self.quarantine_path(name).unlink(missing_ok=True)

    def list_quarantine(self) -> Iterator[tuple[str, datetime]]:
        """Yield (name, last modified in UTC) of every quarantined upload."""
        if not self.quarantine.is_dir():
            return
        for entry in os.scandir(self.quarantine):
            if entry.is_file() and _QUARANTINE_NAME.match(entry.name):
                modified = datetime.fromtimestamp(entry.stat().st_mtime, UTC).replace(tzinfo=None)
                yield entry.name, modified

    def _check_key(self, key: str) -> str:
        if not _KEY.match(key):
            raise MediaError("Unknown stored photo.")
        return key

    def original_path(self, key: str) -> Path:
        """Return where original ``key`` lives (fanned out by hash prefix)."""
        key = self._check_key(key)
        return self.originals / key[:2] / key[2:4] / key

    def derived_path(self, key: str, size: int) -> Path:
        """Return where the ``size`` thumbnail of ``key`` lives."""
        key = self._check_key(key)
        stem = key.split(".")[0]
        return self.derived / key[:2] / key[2:4] / f"{stem}-{int(size)}.jpeg"

    def exists(self, key: str) -> bool:
        """Return whether original ``key`` is stored."""
        return self.original_path(key).exists()

    def open_original(self, key: str) -> BinaryIO:
        """Open original ``key`` for reading."""
        return open(self.original_path(key), "rb")  # noqa: SIM115 - the caller closes it

    def delete_original(self, key: str, sizes: tuple[int, ...] = (320, 1280)) -> None:
        """Delete an original and its thumbnails (no error if already gone)."""
        self.original_path(key).unlink(missing_ok=True)
        for size in sizes:
            self.derived_path(key, size).unlink(missing_ok=True)

    def sweep_temp_files(self, older_than_seconds: int = 3600) -> int:
        """Remove temporary files a crash left behind; return how many."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        for area in (self.quarantine, self.originals, self.derived):
            if not area.is_dir():
                continue
            for path in area.rglob(f"*{_TMP_SUFFIX}"):
                try:
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                except FileNotFoundError:
                    continue
        return removed
