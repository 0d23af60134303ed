"""File storage: a quarantine for raw uploads, content-addressed originals, thumbnails.

One interface (:class:`Storage`), two backends: :class:`LocalStorage` (a directory, the
default) and :class:`trove.media.s3.S3Storage` (an S3-compatible bucket). Both lay objects
out the same way, relative to their root (directory, or bucket prefix)::

    quarantine/<random name>                      raw uploads, never served
    uploads/<token>.<offset>-<random>             pieces of a resumable (tus) upload still
                                                  arriving; never served, not quarantined
    originals/ab/cd/<sha256>.<jpeg|png|webp>      stripped photos, named by their content
    derived/ab/cd/<sha256>-<size>.jpeg            thumbnails of an original
    exports/<name>.zip                            dataset archives

An object appears whole or not at all. Locally every write goes to a temporary name in the
target directory, is fsynced, renamed into place with ``os.replace`` and the directory
fsynced; on S3 a PUT or a completed multipart upload is atomic. ``sweep_temp_files``
removes what a crash left (temporary files, unfinished multipart uploads). Names and keys
are checked against their exact shape before any object name is built, so no input can
reach outside the root, and the quarantine has no name a view could ask for.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG
from typing import BinaryIO, Protocol

from trove.media.errors import CUT_OFF, FileTooLarge, MediaError, StorageFull, TruncatedUpload

EXTENSIONS = ("jpeg", "png", "webp")
AREAS = ("quarantine", "originals", "derived", "exports")
_QUARANTINE_NAME = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
_KEY = re.compile(r"([0-9a-f]{64})\.(jpeg|png|webp)")
_EXPORT_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,90}\.zip")
_UPLOAD_PART = re.compile(r"uploads/([A-Za-z0-9_-]{43})\.[0-9]{12}-[0-9a-f]{16}")
#: Every object name a storage may hold, relative to its root (what migration copies).
OBJECT_NAME = re.compile(
    r"quarantine/[A-Za-z0-9_-]{43}"
    r"|originals/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}\.(?:jpeg|png|webp)"
    r"|derived/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}-[0-9]{1,5}\.jpeg"
    r"|exports/[a-z0-9][a-z0-9-]{0,90}\.zip"
)
CHUNK = 1024 * 1024
_TMP_SUFFIX = ".tmp"
_FULL = (errno.ENOSPC, errno.EDQUOT)


class Hasher(Protocol):
    """What :meth:`Storage.save_quarantine` needs of a hashlib object."""

    def update(self, data: bytes, /) -> None: ...


@dataclass(frozen=True)
class ObjectInfo:
    """What a storage knows about one stored object."""

    name: str  # relative to the storage root, e.g. "originals/ab/cd/<key>"
    size: int
    modified: datetime  # naive UTC
    etag: str | None = None


class Storage(Protocol):
    """The one interface every stored thing goes through (both backends implement it)."""

    url: str

    def save_quarantine(
        self,
        stream: BinaryIO,
        *,
        max_bytes: int,
        digest: Hasher | None = None,
        expected_bytes: int | None = None,
    ) -> str: ...
    def open_part(self, *, max_bytes: int) -> QuarantinePart: ...
    def quarantine_object(self, name: str) -> str: ...
    def read_quarantine(self, name: str) -> bytes: ...
    def open_quarantine(self, name: str) -> BinaryIO: ...
    def quarantine_exists(self, name: str) -> bool: ...
    def delete_quarantine(self, name: str) -> None: ...
    def list_quarantine(self) -> Iterator[tuple[str, datetime]]: ...
    def put_upload_part(self, token: str, offset: int, chunks: Iterable[bytes]) -> str: ...
    def open_upload_part(self, name: str) -> BinaryIO: ...
    def delete_upload_parts(self, token: str) -> None: ...
    def list_upload_parts(self) -> Iterator[tuple[str, str, datetime]]: ...
    def put_original(self, data: bytes, ext: str) -> str: ...
    def put_derived(self, key: str, size: int, data: bytes) -> None: ...
    def exists(self, key: str) -> bool: ...
    def open_original(self, key: str) -> BinaryIO: ...
    def delete_original(self, key: str) -> None: ...
    def original_object(self, key: str) -> str: ...
    def derived_object(self, key: str, size: int) -> str: ...
    def export_object(self, name: str) -> str: ...
    def write_export(self, name: str) -> AbstractContextManager[BinaryIO]: ...
    def delete_export(self, name: str) -> None: ...
    def object_info(self, name: str) -> ObjectInfo | None: ...
    def open_object(self, name: str) -> BinaryIO: ...
    def put_object(self, name: str, chunks: Iterable[bytes]) -> None: ...
    def delete_object(self, name: str) -> None: ...
    def iter_objects(self) -> Iterator[ObjectInfo]: ...
    def sweep_temp_files(self, older_than_seconds: float = 3600) -> int: ...


class BaseStorage:
    """The storage rules (names, content addressing, limits) over a backend's primitives.

    A backend provides ``_write`` (atomic: whole or nothing), ``write_object`` (a
    context-managed writer, atomic on success), ``object_info``, ``open_object``,
    ``delete_object``, ``_list`` and ``sweep_temp_files``.
    """

    url: str

    # --- primitives (each backend's own) ---------------------------------------------------

    def _write(self, name: str, chunks: Iterable[bytes], *, sync: bool = True) -> None:
        raise NotImplementedError

    def write_object(self, name: str) -> AbstractContextManager[BinaryIO]:
        """Yield a writable for object ``name``; it appears whole on success only."""
        raise NotImplementedError

    def object_info(self, name: str) -> ObjectInfo | None:
        """Return size, modification time and etag of object ``name``, or None if absent."""
        raise NotImplementedError

    def open_object(self, name: str) -> BinaryIO:
        """Open object ``name`` for reading (the caller closes it); FileNotFoundError if absent."""
        raise NotImplementedError

    def delete_object(self, name: str) -> None:
        """Delete object ``name`` (no error if it is already gone)."""
        raise NotImplementedError

    def _list(self, prefix: str) -> Iterator[ObjectInfo]:
        raise NotImplementedError

    def _adopts(self, stream: object) -> bool:
        """Whether ``stream`` is a form part this storage can rename into quarantine."""
        return False

    def sweep_temp_files(self, older_than_seconds: float = 3600) -> int:
        """Remove what interrupted writes left behind; return how many were removed."""
        raise NotImplementedError

    # --- objects -----------------------------------------------------------------------------

    def put_object(self, name: str, chunks: Iterable[bytes]) -> None:
        """Store ``chunks`` as object ``name`` (any of our names; used to copy storages)."""
        if not isinstance(name, str) or not OBJECT_NAME.fullmatch(name):
            raise MediaError("Unknown stored object.")
        self._write(name, chunks)

    def iter_objects(self) -> Iterator[ObjectInfo]:
        """Yield every stored object of ours (temporary and foreign files left out)."""
        for area in AREAS:
            for info in self._list(f"{area}/"):
                if OBJECT_NAME.fullmatch(info.name):
                    yield info

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
        if self._adopts(stream):
            stream.adopt(self.path(self.quarantine_object(name)), digest)  # type: ignore[attr-defined]
            return name

        def chunks() -> Iterator[bytes]:
            received = 0
            while True:
                try:
                    chunk = stream.read(CHUNK)
                except OSError as error:
                    if error.errno in _FULL:  # a spooled form part on a full disk
                        raise
                    raise TruncatedUpload(CUT_OFF) from error
                except MediaError:
                    raise  # a form part over its limit says so itself
                except Exception as error:  # the server's body reader: 400s, …
                    raise TruncatedUpload(CUT_OFF) from error
                if not chunk:
                    break
                received += len(chunk)
                if received > max_bytes:
                    raise FileTooLarge(
                        f"The file is larger than the {_megabytes(max_bytes)} limit."
                    )
                if digest is not None:
                    digest.update(chunk)
                yield chunk
            if expected_bytes is not None and received != expected_bytes:
                raise TruncatedUpload(CUT_OFF)

        self._write(self.quarantine_object(name), chunks())
        return name

    def open_part(self, *, max_bytes: int) -> QuarantinePart:
        """Return a file a form parser writes one uploaded part into (a local temp file).

        Saved with :meth:`save_quarantine`, which copies it into quarantine.
        """
        folder = parts_folder()
        try:
            folder.mkdir(exist_ok=True)
        except OSError as error:
            raise _storage_error(error) from None
        return QuarantinePart(folder, max_bytes)

    def quarantine_object(self, name: str) -> str:
        """Return the object name of a quarantined upload; refuse any name we did not make."""
        if not isinstance(name, str) or not _QUARANTINE_NAME.fullmatch(name):
            raise MediaError("Unknown upload.")
        return f"quarantine/{name}"

    def read_quarantine(self, name: str) -> bytes:
        """Return a quarantined upload's bytes."""
        with self.open_quarantine(name) as handle:
            return handle.read()

    def open_quarantine(self, name: str) -> BinaryIO:
        """Open a quarantined upload for reading (the caller closes it)."""
        return self.open_object(self.quarantine_object(name))

    def quarantine_exists(self, name: str) -> bool:
        """Return whether a quarantined upload is still stored."""
        return self.object_info(self.quarantine_object(name)) is not None

    def delete_quarantine(self, name: str) -> None:
        """Delete a quarantined upload (no error if it is already gone)."""
        self.delete_object(self.quarantine_object(name))

    def list_quarantine(self) -> Iterator[tuple[str, datetime]]:
        """Yield (name, last modified as naive UTC) of every quarantined upload."""
        for info in self._list("quarantine/"):
            name = info.name.removeprefix("quarantine/")
            if _QUARANTINE_NAME.fullmatch(name):
                yield name, info.modified

    # --- resumable uploads: pieces of a photo still arriving (outside quarantine) -----------

    def put_upload_part(self, token: str, offset: int, chunks: Iterable[bytes]) -> str:
        """Store one piece of resumable upload ``token`` starting at ``offset``; return its name.

        Each piece gets a fresh name, so two requests racing for the same offset never
        overwrite each other: the one the database records wins, the other is deleted.
        Pieces appear whole or not at all but are not fsynced: they outlive a crash of the
        process (the kernel still has them), and after a crash of the machine a lost piece
        makes the finished photo come out short, which the upload check refuses as cut off.
        """
        name = f"uploads/{token}.{offset:012d}-{secrets.token_hex(8)}"
        if not _UPLOAD_PART.fullmatch(name):
            raise MediaError("Unknown upload.")
        self._write(name, chunks, sync=False)
        return name

    def open_upload_part(self, name: str) -> BinaryIO:
        """Open a stored piece of a resumable upload (the caller closes it)."""
        if not isinstance(name, str) or not _UPLOAD_PART.fullmatch(name):
            raise MediaError("Unknown upload.")
        return self.open_object(name)

    def delete_upload_parts(self, token: str) -> None:
        """Delete every stored piece of resumable upload ``token``."""
        if not _QUARANTINE_NAME.fullmatch(token):
            raise MediaError("Unknown upload.")
        for info in self._list(f"uploads/{token}."):
            self.delete_object(info.name)

    def list_upload_parts(self) -> Iterator[tuple[str, str, datetime]]:
        """Yield (token, piece name, last modified as naive UTC) of every stored piece."""
        for info in self._list("uploads/"):
            match = _UPLOAD_PART.fullmatch(info.name)
            if match:
                yield match.group(1), info.name, info.modified

    # --- originals and thumbnails ----------------------------------------------------------

    def put_original(self, data: bytes, ext: str) -> str:
        """Store a stripped photo under its SHA-256 and return its key (idempotent)."""
        if ext not in EXTENSIONS:
            raise ValueError(f"unknown extension {ext!r}")
        key = f"{hashlib.sha256(data).hexdigest()}.{ext}"
        if not self.exists(key):  # same name, same content: nothing to do
            self._write(self.original_object(key), (data,))
        return key

    def put_derived(self, key: str, size: int, data: bytes) -> None:
        """Store the ``size`` thumbnail of original ``key``."""
        # Rewriting is harmless; a re-run may fix a bad one.
        self._write(self.derived_object(key, size), (data,))

    def original_object(self, key: str) -> str:
        """Return the object name of original ``key`` (fanned out by hash prefix)."""
        digest, _ext = _parse_key(key)
        return f"originals/{digest[:2]}/{digest[2:4]}/{key}"

    def derived_object(self, key: str, size: int) -> str:
        """Return the object name of the ``size`` thumbnail of original ``key``."""
        digest, _ext = _parse_key(key)
        if not isinstance(size, int) or isinstance(size, bool) or not 0 < size < 100_000:
            raise MediaError("Unknown thumbnail size.")
        return f"derived/{digest[:2]}/{digest[2:4]}/{digest}-{size}.jpeg"

    def exists(self, key: str) -> bool:
        """Return whether original ``key`` is stored."""
        return self.object_info(self.original_object(key)) is not None

    def open_original(self, key: str) -> BinaryIO:
        """Open original ``key`` for reading (the caller closes it)."""
        return self.open_object(self.original_object(key))

    def delete_original(self, key: str) -> None:
        """Delete an original and all its thumbnails (no error if already gone)."""
        digest, _ext = _parse_key(key)
        self.delete_object(self.original_object(key))
        for info in self._list(f"derived/{digest[:2]}/{digest[2:4]}/{digest}-"):
            self.delete_object(info.name)

    # --- dataset archives ------------------------------------------------------------------

    def export_object(self, name: str) -> str:
        """Return the object name of dataset archive ``name``; refuse any other shape."""
        if not isinstance(name, str) or not _EXPORT_NAME.fullmatch(name):
            raise MediaError("Unknown archive.")
        return f"exports/{name}"

    def write_export(self, name: str) -> AbstractContextManager[BinaryIO]:
        """Yield a file to write archive ``name`` into; it appears whole on success only."""
        return self.write_object(self.export_object(name))

    def delete_export(self, name: str) -> None:
        """Delete a dataset archive (no error if it is already gone)."""
        self.delete_object(self.export_object(name))


class LocalStorage(BaseStorage):
    """Objects as files under one root directory."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.url = self.root.resolve().as_uri()
        self.quarantine = self.root / "quarantine"
        self.originals = self.root / "originals"
        self.derived = self.root / "derived"
        self.exports = self.root / "exports"
        self.uploads = self.root / "uploads"

    def open_part(self, *, max_bytes: int) -> QuarantinePart:
        """Return a file a form parser writes one uploaded part into, inside quarantine."""
        try:
            self.quarantine.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _storage_error(error) from None
        return QuarantinePart(self.quarantine, max_bytes)

    def _adopts(self, stream: object) -> bool:
        return isinstance(stream, QuarantinePart) and stream.path.parent == self.quarantine

    # Paths: for this backend only (the image offload headers, tests, backups).

    def path(self, name: str) -> Path:
        """Return the file of object ``name`` (a name built by this class)."""
        return self.root / name

    def quarantine_path(self, name: str) -> Path:
        """Return the path of a quarantined upload; refuse any name we did not make."""
        return self.path(self.quarantine_object(name))

    def original_path(self, key: str) -> Path:
        """Return where original ``key`` lives."""
        return self.path(self.original_object(key))

    def derived_path(self, key: str, size: int) -> Path:
        """Return where the ``size`` thumbnail of original ``key`` lives."""
        return self.path(self.derived_object(key, size))

    def export_path(self, name: str) -> Path:
        """Return the path of dataset archive ``name``; refuse any name of another shape."""
        return self.path(self.export_object(name))

    # --- primitives -------------------------------------------------------------------------

    def object_info(self, name: str) -> ObjectInfo | None:
        """Return size and modification time of object ``name``, or None if absent."""
        try:
            stat = self.path(name).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not S_ISREG(stat.st_mode):
            return None
        return ObjectInfo(name, stat.st_size, _naive_utc(stat.st_mtime))

    def open_object(self, name: str) -> BinaryIO:
        """Open object ``name`` for reading (the caller closes it)."""
        return self.path(name).open("rb")

    def delete_object(self, name: str) -> None:
        """Delete object ``name`` (no error if it is already gone)."""
        self.path(name).unlink(missing_ok=True)

    def _list(self, prefix: str) -> Iterator[ObjectInfo]:
        folder, _sep, start = prefix.rpartition("/")
        base = self.root / folder
        if not base.is_dir():
            return
        # Quarantine is flat; the other areas fan out by hash prefix.
        for path in base.rglob(f"{start}*") if start else base.rglob("*"):
            if path.name.endswith(_TMP_SUFFIX) or path.name.startswith("."):
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if path.is_file():
                name = path.relative_to(self.root).as_posix()
                yield ObjectInfo(name, stat.st_size, _naive_utc(stat.st_mtime))

    @contextmanager
    def write_object(self, name: str) -> Iterator[BinaryIO]:
        """Yield a file to write object ``name`` into; it appears whole on success only."""
        target = self.path(name)
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

    def sweep_temp_files(self, older_than_seconds: float = 3600) -> int:
        """Remove temporary files a crash left behind; return how many were removed."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        for area in (self.quarantine, self.originals, self.derived, self.exports, self.uploads):
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

    def _write(self, name: str, chunks: Iterable[bytes], *, sync: bool = True) -> None:
        """Write ``chunks`` to object ``name`` so that it appears whole or not at all.

        ``sync`` makes it durable too (fsynced, its directory as well) before it appears.
        """
        target = self.path(name)
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
            for chunk in chunks:
                _write_all(fd, chunk)
            if sync:
                os.fsync(fd)
            os.close(fd)
            fd = -1
            os.replace(tmp, target)
            if sync:
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
        if self._failure is not None:  # copied (to S3) rather than adopted: same refusal
            raise self._failure
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
                while chunk := self._file.read(CHUNK):
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


def parts_folder() -> Path:
    """Return where form parts wait before a remote storage copies them into quarantine."""
    return Path(tempfile.gettempdir()) / "trove-parts"


def sweep_parts(older_than_seconds: float) -> int:
    """Remove form parts a crash left in :func:`parts_folder`; return how many."""
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in parts_folder().glob(f".part-*{_TMP_SUFFIX}"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # another sweeper got there first
    return removed


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


def _naive_utc(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, UTC).replace(tzinfo=None)


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
