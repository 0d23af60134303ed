"""Local files every backend uses: form parts waiting for quarantine, atomic-write helpers."""

from __future__ import annotations

import errno
import io
import os
import secrets
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from trove.media.errors import N_, FileTooLarge, StorageFull

CHUNK = 1024 * 1024
TMP_SUFFIX = ".tmp"
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class Hasher(Protocol):
    """What :meth:`Storage.save_quarantine` needs of a hashlib object."""

    def update(self, data: bytes, /) -> None: ...


class QuarantinePart(io.RawIOBase):
    """One part of a multipart form, written straight into quarantine as it arrives.

    Under a temporary dot name (never listed or served; swept after a crash) until
    :meth:`LocalStorage.save_quarantine` renames it into place; deleted when closed
    otherwise. Bytes past ``max_bytes`` are not written: the part is marked too large and
    refused when saved, so one oversized photo does not sink the others in the form.
    """

    def __init__(self, folder: Path, max_bytes: int) -> None:
        super().__init__()
        self.path = folder / f".part-{secrets.token_hex(8)}{TMP_SUFFIX}"
        self.max_bytes = max_bytes
        self.size = 0
        # A write that failed (a full disk) is kept to raise when the part is saved: raised
        # inside the form parser it would be taken for a malformed form.
        self._failure: OSError | None = None
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError as error:
            raise storage_error(error) from None
        self._file = io.FileIO(fd, "r+")

    @property
    def too_large(self) -> bool:
        """Whether more bytes arrived than the per-file limit."""
        return self.size > self.max_bytes

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.size += len(data)
        if not self.too_large and self._failure is None:
            try:
                write_all(self._file.fileno(), data)  # the one way bytes reach the disk
            except OSError as error:
                self._failure = storage_error(error)
                self._file.truncate(0)  # give the space back at once
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        if self._failure is not None:  # copied (to S3) rather than adopted: same refusal
            raise self._failure
        if self.too_large:
            raise FileTooLarge(TOO_LARGE, size=megabytes(self.max_bytes))
        return self._file.readinto(buffer)

    def adopt(self, target: Path, digest: Hasher | None) -> None:
        """Make the part the quarantined upload ``target`` (renamed, not copied)."""
        if self._failure is not None:
            raise self._failure
        if self.too_large:
            raise FileTooLarge(TOO_LARGE, size=megabytes(self.max_bytes))
        try:
            if digest is not None:
                self._file.seek(0)
                while chunk := self._file.read(CHUNK):
                    digest.update(chunk)
            os.fsync(self._file.fileno())
            os.replace(self.path, target)
            fsync_directory(target.parent)
        except OSError as error:
            raise storage_error(error) from None

    def close(self) -> None:
        if not self.closed:
            self._file.close()
            self.path.unlink(missing_ok=True)  # gone already once adopted
        super().close()


def parts_folder() -> Path:
    """Return where form parts wait before a remote storage copies them into quarantine."""
    return Path(tempfile.gettempdir()) / "trove-parts"


def sweep_parts(older_than_seconds: float) -> int:
    """Remove form parts a crash left in :func:`parts_folder`; return how many."""
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in parts_folder().glob(f".part-*{TMP_SUFFIX}"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # another sweeper got there first
    return removed


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` (os.write may write less than asked)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def naive_utc(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, UTC).replace(tzinfo=None)


def storage_error(error: OSError) -> OSError | StorageFull:
    if error.errno in DISK_FULL:
        return StorageFull(N_("The server has no room to store this file right now."))
    return error


#: Said when an upload passes the size limit (``size``: "25 MB").
TOO_LARGE = N_("The file is larger than the %(size)s limit.")


def megabytes(count: int) -> str:
    return f"{count / (1024 * 1024):g} MB"
