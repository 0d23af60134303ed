"""Objects as files under one local directory (the default backend)."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from stat import S_ISREG
from typing import BinaryIO

from trove.media.storage.base import BaseStorage, ObjectInfo
from trove.media.storage.files import (
    TMP_SUFFIX,
    QuarantinePart,
    fsync_directory,
    naive_utc,
    storage_error,
    write_all,
)


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
            raise storage_error(error) from None
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
        return ObjectInfo(name, stat.st_size, naive_utc(stat.st_mtime))

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
            if path.name.endswith(TMP_SUFFIX) or path.name.startswith("."):
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if path.is_file():
                name = path.relative_to(self.root).as_posix()
                yield ObjectInfo(name, stat.st_size, naive_utc(stat.st_mtime))

    @contextmanager
    def write_object(self, name: str) -> Iterator[BinaryIO]:
        """Yield a file to write object ``name`` into; it appears whole on success only."""
        target = self.path(name)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise storage_error(error) from None
        tmp = target.parent / f".{target.name}.{secrets.token_hex(8)}{TMP_SUFFIX}"
        try:
            with tmp.open("xb") as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
            fsync_directory(target.parent)
        except BaseException as error:
            tmp.unlink(missing_ok=True)
            if isinstance(error, OSError):
                raise storage_error(error) from None
            raise

    def sweep_temp_files(self, older_than_seconds: float = 3600) -> int:
        """Remove temporary files a crash left behind; return how many were removed."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        for area in (self.quarantine, self.originals, self.derived, self.exports, self.uploads):
            if not area.is_dir():
                continue
            for path in area.rglob(f".*{TMP_SUFFIX}"):
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
            raise storage_error(error) from None
        # A dot name with our suffix: never a valid name or key, so never served or listed.
        tmp = target.parent / f".{target.name}.{secrets.token_hex(8)}{TMP_SUFFIX}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError as error:
            raise storage_error(error) from None
        try:
            for chunk in chunks:
                write_all(fd, chunk)
            if sync:
                os.fsync(fd)
            os.close(fd)
            fd = -1
            os.replace(tmp, target)
            if sync:
                fsync_directory(target.parent)
        except BaseException as error:
            if fd >= 0:
                os.close(fd)
            tmp.unlink(missing_ok=True)
            if isinstance(error, OSError):
                raise storage_error(error) from None
            raise
