"""Object names, the storage interface and the rules every backend shares."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol

from trove.media.errors import CUT_OFF, N_, FileTooLarge, MediaError, TruncatedUpload
from trove.media.storage.files import (
    CHUNK,
    DISK_FULL,
    TOO_LARGE,
    Hasher,
    QuarantinePart,
    megabytes,
    parts_folder,
    storage_error,
)

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
    def put_original(self, data: bytes, ext: str, *, sha256: str | None = None) -> str: ...
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
            raise MediaError(N_("Unknown stored object."))
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
        ``TruncatedUpload`` and nothing is kept; one announced over ``max_bytes`` is refused
        before a byte is read.
        """
        if expected_bytes is not None and expected_bytes > max_bytes:
            raise FileTooLarge(TOO_LARGE, size=megabytes(max_bytes))
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
                    if error.errno in DISK_FULL:  # a spooled form part on a full disk
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
                    raise FileTooLarge(TOO_LARGE, size=megabytes(max_bytes))
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
            raise storage_error(error) from None
        return QuarantinePart(folder, max_bytes)

    def quarantine_object(self, name: str) -> str:
        """Return the object name of a quarantined upload; refuse any name we did not make."""
        if not isinstance(name, str) or not _QUARANTINE_NAME.fullmatch(name):
            raise MediaError(N_("Unknown upload."))
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
            raise MediaError(N_("Unknown upload."))
        self._write(name, chunks, sync=False)
        return name

    def open_upload_part(self, name: str) -> BinaryIO:
        """Open a stored piece of a resumable upload (the caller closes it)."""
        if not isinstance(name, str) or not _UPLOAD_PART.fullmatch(name):
            raise MediaError(N_("Unknown upload."))
        return self.open_object(name)

    def delete_upload_parts(self, token: str) -> None:
        """Delete every stored piece of resumable upload ``token``."""
        if not _QUARANTINE_NAME.fullmatch(token):
            raise MediaError(N_("Unknown upload."))
        for info in self._list(f"uploads/{token}."):
            self.delete_object(info.name)

    def list_upload_parts(self) -> Iterator[tuple[str, str, datetime]]:
        """Yield (token, piece name, last modified as naive UTC) of every stored piece."""
        for info in self._list("uploads/"):
            match = _UPLOAD_PART.fullmatch(info.name)
            if match:
                yield match.group(1), info.name, info.modified

    # --- originals and thumbnails ----------------------------------------------------------

    def put_original(self, data: bytes, ext: str, *, sha256: str | None = None) -> str:
        """Store a stripped photo under its SHA-256 and return its key (idempotent).

        ``sha256`` is the hex SHA-256 of ``data`` when the caller already computed it (it
        is trusted, not checked: pass only the hash made of these very bytes).
        """
        if ext not in EXTENSIONS:
            raise ValueError(f"unknown extension {ext!r}")
        key = f"{sha256 or hashlib.sha256(data).hexdigest()}.{ext}"
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a SHA-256: {sha256!r}")
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
            raise MediaError(N_("Unknown thumbnail size."))
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
            raise MediaError(N_("Unknown archive."))
        return f"exports/{name}"

    def write_export(self, name: str) -> AbstractContextManager[BinaryIO]:
        """Yield a file to write archive ``name`` into; it appears whole on success only."""
        return self.write_object(self.export_object(name))

    def delete_export(self, name: str) -> None:
        """Delete a dataset archive (no error if it is already gone)."""
        self.delete_object(self.export_object(name))


def _parse_key(key: str) -> tuple[str, str]:
    match = _KEY.fullmatch(key) if isinstance(key, str) else None
    if match is None:
        raise MediaError(N_("Unknown stored photo."))
    return match.group(1), match.group(2)
