"""Local file storage: a quarantine for raw uploads, content-addressed originals, thumbnails.

Layout under the root::

    quarantine/<random name>                      raw uploads, never served
    originals/ab/cd/<sha256>.<jpeg|png|webp>      stripped photos, named by their content
    derived/ab/cd/<sha256>-<size>.jpeg            thumbnails of an original
    exports/<name>.zip                            dataset archives

Every write goes to a temporary name in the target directory, is fsynced, renamed into
place with ``os.replace`` and the directory fsynced, so a reader (or a crash) never sees
half a file; ``sweep_temp_files`` removes what a crash left. Names and keys are checked
against their exact shape before any path is built, so no input can reach outside the root.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import secrets
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from trove.media.errors import CUT_OFF, FileTooLarge, MediaError, StorageFull, TruncatedUpload

EXTENSIONS = ("jpeg", "png", "webp")
_QUARANTINE_NAME = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
_KEY = re.compile(r"([0-9a-f]{64})\.(jpeg|png|webp)")
_EXPORT_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,90}\.zip")
_CHUNK = 1024 * 1024
_TMP_SUFFIX = ".tmp"
_FULL = (errno.ENOSPC, errno.EDQUOT)


class Hasher(Protocol):
    """What :meth:`LocalStorage.save_quarantine` needs of a hashlib object."""

    def update(self, data: bytes, /) -> None: ...


class LocalStorage:
    """Files under one root directory: quarantine, originals and derived thumbnails."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.quarantine = self.root / "quarantine"
        self.originals = self.root / "originals"
        self.derived = self.root / "derived"
        self.exports = self.root / "exports"

    # --- quarantine ----------------------------------------------------------------------

    def save_quarantine(
        self,
        stream: BinaryIO,
        *,
        max_bytes: int,
        digest: Hasher | None = None,
        expected_bytes: int | None = None,
    ) -> str:
        """Copy an upload stream into quarantine under a random name and return the name.

        ``digest`` (a :mod:`hashlib` object), when given, is fed every byte on the way, so
        the caller has the upload's hash without reading it again. A stream that fails
        while being read (a chunked body without its last chunk, a dropped connection) or
        ends before ``expected_bytes`` (the announced Content-Length) is refused with
        ``TruncatedUpload`` and nothing is kept.
        """
        name = secrets.token_urlsafe(32)
        if isinstance(stream, QuarantinePart):
            stream.adopt(self.quarantine / name, digest)
            return name

        def chunks() -> Iterator[bytes]:
            received = 0
            while True:
                try:
                    chunk = stream.read(_CHUNK)
                except OSError as error:
                    if error.errno in _FULL:  # a spooled form part on a full disk
                        raise
                    raise TruncatedUpload(CUT_OFF) from error
                except Exception as error:  # the server's body reader: 400s, …
                    raise TruncatedUpload(CUT_OFF) from error
                if not chunk:
                    break
                received += len(chunk)
                if digest is not None:
                    digest.update(chunk)
                yield chunk
            if expected_bytes is not None and received != expected_bytes:
                raise TruncatedUpload(CUT_OFF)

        self._write_atomic(self.quarantine / name, chunks(), max_bytes=max_bytes)
        return name

    def open_part(self, *, max_bytes: int) -> QuarantinePart:
        """Return a file a form parser writes one uploaded part into, inside quarantine."""
        try:
            self.quarantine.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _storage_error(error) from None
        return QuarantinePart(self.quarantine, max_bytes)

    def quarantine_path(self, name: str) -> Path:
        """Return the path of a quarantined upload; refuse any name we did not make."""
        if not isinstance(name, str) or not _QUARANTINE_NAME.fullmatch(name):
            raise MediaError("Unknown upload.")
        return self.quarantine / name

    def read_quarantine(self, name: str) -> bytes:
        """Return a quarantined upload's bytes."""
        return self.quarantine_path(name).read_bytes()

    def delete_quarantine(self, name: str) -> None:
        """Delete a quarantined upload (no error if it is already gone)."""
        self.quarantine_path(name).unlink(missing_ok=True)

    def list_quarantine(self) -> Iterator[tuple[str, datetime]]:
        """Yield (name, last modified as naive UTC) of every quarantined upload."""
        if not self.quarantine.is_dir():
            return
        with os.scandir(self.quarantine) as entries:
            for entry in entries:
                if _QUARANTINE_NAME.fullmatch(entry.name) and entry.is_file():
                    stamp = entry.stat().st_mtime
                    yield entry.name, datetime.fromtimestamp(stamp, UTC).replace(tzinfo=None)

    # --- originals and thumbnails ----------------------------------------------------------

    def put_original(self, data: bytes, ext: str) -> str:
        """Store a stripped photo under its SHA-256 and return its key (idempotent)."""
        if ext not in EXTENSIONS:
            raise ValueError(f"unknown extension {ext!r}")
        key = f"{hashlib.sha256(data).hexdigest()}.{ext}"
        path = self.original_path(key)
        if not path.is_file():  # same name, same content: nothing to do
            self._write_atomic(path, (data,))
        return key

    def put_derived(self, key: str, size: int, data: bytes) -> Path:
        """Store the ``size`` thumbnail of original ``key`` and return its path."""
        path = self.derived_path(key, size)
        self._write_atomic(path, (data,))  # rewriting is harmless; a re-run may fix a bad one
        return path

    def original_path(self, key: str) -> Path:
        """Return where original ``key`` lives (fanned out by hash prefix)."""
        digest, _ext = _parse_key(key)
        return self.originals / digest[:2] / digest[2:4] / key

    def derived_path(self, key: str, size: int) -> Path:
        """Return where the ``size`` thumbnail of original ``key`` lives."""
        digest, _ext = _parse_key(key)
        if not isinstance(size, int) or isinstance(size, bool) or not 0 < size < 100_000:
            raise MediaError("Unknown thumbnail size.")
        return self.derived / digest[:2] / digest[2:4] / f"{digest}-{size}.jpeg"

    def exists(self, key: str) -> bool:
        """Return whether original ``key`` is stored."""
        return self.original_path(key).is_file()

    def open_original(self, key: str) -> BinaryIO:
        """Open original ``key`` for reading (the caller closes it)."""
        return self.original_path(key).open("rb")

    def delete_original(self, key: str) -> None:
        """Delete an original and all its thumbnails (no error if already gone)."""
        digest, _ext = _parse_key(key)
        self.original_path(key).unlink(missing_ok=True)
        folder = self.derived / digest[:2] / digest[2:4]
        if folder.is_dir():
            for path in folder.glob(f"{digest}-*.jpeg"):
                path.unlink(missing_ok=True)

    # --- dataset archives ------------------------------------------------------------------

    def export_path(self, name: str) -> Path:
        """Return the path of dataset archive ``name``; refuse any name of another shape."""
        if not isinstance(name, str) or not _EXPORT_NAME.fullmatch(name):
            raise MediaError("Unknown archive.")
        return self.exports / name

    @contextmanager
    def write_export(self, name: str) -> Iterator[BinaryIO]:
        """Yield a file to write archive ``name`` into; it appears whole on success only."""
        target = self.export_path(name)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _storage_error(error) from None
        tmp = target.parent / f".{target.name}.{secrets.token_hex(8)}{_TMP_SUFFIX}"
        try:
            with tmp.open("xb") as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
            _fsync_directory(target.parent)
        except BaseException as error:
            tmp.unlink(missing_ok=True)
            if isinstance(error, OSError):
                raise _storage_error(error) from None
            raise

    def delete_export(self, name: str) -> None:
        """Delete a dataset archive (no error if it is already gone)."""
        self.export_path(name).unlink(missing_ok=True)

    # --- housekeeping ---------------------------------------------------------------------

    def sweep_temp_files(self, older_than_seconds: float = 3600) -> int:
        """Remove temporary files a crash left behind; return how many were removed."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        for area in (self.quarantine, self.originals, self.derived, self.exports):
            if not area.is_dir():
                continue
            for path in area.rglob(f".*{_TMP_SUFFIX}"):
                try:
                    if path.is_file() and path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                except FileNotFoundError:
                    continue  # another sweeper got there first
        return removed

    # --- the one way files are written ----------------------------------------------------

    def _write_atomic(
        self, target: Path, chunks: Iterable[bytes], *, max_bytes: int | None = None
    ) -> None:
        """Write ``chunks`` to ``target`` so that it appears whole or not at all."""
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _storage_error(error) from None
        # A dot name with our suffix: never a valid name or key, so never served or listed.
        tmp = target.parent / f".{target.name}.{secrets.token_hex(8)}{_TMP_SUFFIX}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError as error:
            raise _storage_error(error) from None
        try:
            written = 0
            for chunk in chunks:
                written += len(chunk)
                if max_bytes is not None and written > max_bytes:
                    raise FileTooLarge(
                        f"The file is larger than the {_megabytes(max_bytes)} limit."
                    )
                _write_all(fd, chunk)
            os.fsync(fd)
            os.close(fd)
            fd = -1
            os.replace(tmp, target)
            _fsync_directory(target.parent)
        except BaseException as error:
            if fd >= 0:
                os.close(fd)
            tmp.unlink(missing_ok=True)
            if isinstance(error, OSError):
                raise _storage_error(error) from None
            raise


class QuarantinePart(io.RawIOBase):
    """One part of a multipart form, written straight into quarantine as it arrives.

    Under a temporary dot name (never listed or served; swept after a crash) until
    :meth:`LocalStorage.save_quarantine` renames it into place; deleted when closed
    otherwise. Bytes past ``max_bytes`` are not written: the part is marked too large and
    refused when saved, so one oversized photo does not sink the others in the form.
    """

    def __init__(self, folder: Path, max_bytes: int) -> None:
        super().__init__()
        self.path = folder / f".part-{secrets.token_hex(8)}{_TMP_SUFFIX}"
        self.max_bytes = max_bytes
        self.size = 0
        # A write that failed (a full disk) is kept to raise when the part is saved: raised
        # inside the form parser it would be taken for a malformed form.
        self._failure: OSError | None = None
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError as error:
            raise _storage_error(error) from None
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
                _write_all(self._file.fileno(), data)  # the one way bytes reach the disk
            except OSError as error:
                self._failure = _storage_error(error)
                self._file.truncate(0)  # give the space back at once
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        if self.too_large:
            raise FileTooLarge(f"The file is larger than the {_megabytes(self.max_bytes)} limit.")
        return self._file.readinto(buffer)

    def adopt(self, target: Path, digest: Hasher | None) -> None:
        """Make the part the quarantined upload ``target`` (renamed, not copied)."""
        if self._failure is not None:
            raise self._failure
        if self.too_large:
            raise FileTooLarge(f"The file is larger than the {_megabytes(self.max_bytes)} limit.")
        try:
            if digest is not None:
                self._file.seek(0)
                while chunk := self._file.read(_CHUNK):
                    digest.update(chunk)
            os.fsync(self._file.fileno())
            os.replace(self.path, target)
            _fsync_directory(target.parent)
        except OSError as error:
            raise _storage_error(error) from None

    def close(self) -> None:
        if not self.closed:
            self._file.close()
            self.path.unlink(missing_ok=True)  # gone already once adopted
        super().close()


def _write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` (os.write may write less than asked)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _parse_key(key: str) -> tuple[str, str]:
    match = _KEY.fullmatch(key) if isinstance(key, str) else None
    if match is None:
        raise MediaError("Unknown stored photo.")
    return match.group(1), match.group(2)


def _storage_error(error: OSError) -> OSError | StorageFull:
    if error.errno in _FULL:
        return StorageFull("The server has no room to store this file right now.")
    return error


def _megabytes(count: int) -> str:
    return f"{count / (1024 * 1024):g} MB"
