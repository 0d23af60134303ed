"""The app's file storage and access-checked image responses."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from flask import Flask, Request, Response, abort, current_app, redirect, request, send_file

from trove.config import storage_dir_of
from trove.media.storage import CHUNK, LocalStorage, Storage

if TYPE_CHECKING:
    from trove.media.s3 import S3Storage


def storage_from_url(url: str, settings: Mapping[str, Any]) -> Storage:
    """Return the storage a ``file:///dir`` or ``s3://bucket/prefix`` URL names.

    An S3 bucket is created if it does not exist yet.
    """
    if url.startswith("file://"):
        return LocalStorage(storage_dir_of(url))
    # Imported here: botocore is slow to import, and a local deployment never needs it.
    from trove.media.s3 import S3Storage, make_client, parse_s3_url

    bucket, prefix = parse_s3_url(url)
    client = make_client(
        settings.get("S3_ENDPOINT_URL"),
        settings.get("S3_REGION"),
        settings.get("S3_ACCESS_KEY_ID"),
        settings.get("S3_SECRET_ACCESS_KEY"),
    )
    storage = S3Storage(bucket, prefix, client=client)
    storage.ensure_bucket()
    return storage


def init_app(app: Flask) -> None:
    """Create the local storage directory at start-up, so the first upload finds it."""
    if not app.config["STORAGE_URL"].startswith("file://"):
        return  # an S3 bucket is created (if missing) on first use
    root = Path(app.config["STORAGE_DIR"])
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        # Not fatal here (a CLI command may not need it); uploads answer 507 meanwhile.
        logging.getLogger(__name__).error(
            "cannot create the storage directory %s (%s): create it writable by Trove's user",
            root,
            error.strerror or error,
        )


def get_storage() -> Storage:
    """Return the storage ``STORAGE_URL`` names (one per app)."""
    storage = current_app.extensions.get("trove_storage")
    if storage is None:
        storage = storage_from_url(current_app.config["STORAGE_URL"], current_app.config)
        current_app.extensions["trove_storage"] = storage
    return storage  # type: ignore[no-any-return]


def send_private_file(
    name: str, mimetype: str, *, filename: str, attachment: bool = False
) -> Response:
    """Send stored object ``name`` (404 if absent) that the caller has checked access to.

    ``filename`` names it for the browser (never the stored, content-addressed name: that
    is the file's hash). ``no-cache`` lets the browser keep a copy but ask first each time
    (a cheap 304 through the ETag and Last-Modified), so a withdrawn photo disappears at
    once instead of staying visible from the cache. Locally the file is sent (or handed to
    the proxy by ``IMAGE_OFFLOAD``); from S3 it is streamed through the app (with Range
    and conditional requests), or, with ``S3_PRESIGN_SECONDS`` > 0, answered by a redirect
    to a presigned URL that expires within a minute.
    """
    storage = get_storage()
    disposition = f'{"attachment" if attachment else "inline"}; filename="{filename}"'
    if isinstance(storage, LocalStorage):
        response = _send_local(storage, name, mimetype, filename, attachment)
    else:
        response = _send_s3(storage, name, mimetype, disposition)  # type: ignore[arg-type]
    if response.status_code != 302:  # the redirect says no-store itself
        response.headers["Content-Disposition"] = disposition
        response.headers["Cache-Control"] = "private, no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
    response.vary.add("Cookie")
    return response


def _send_local(
    storage: LocalStorage, name: str, mimetype: str, filename: str, attachment: bool
) -> Response:
    path = storage.path(name)
    info = storage.object_info(name)
    if info is None:
        abort(404)
    offload = current_app.config.get("IMAGE_OFFLOAD") or ""
    if offload == "nginx":
        response = Response(mimetype=mimetype)
        response.headers["X-Accel-Redirect"] = "/_protected/" + name
    elif offload == "sendfile":
        response = Response(mimetype=mimetype)
        response.headers["X-Sendfile"] = str(path.resolve())
    else:
        response = send_file(
            path,
            mimetype=mimetype,
            as_attachment=attachment,
            download_name=filename,
            conditional=True,
            etag=True,
            last_modified=info.modified.replace(tzinfo=UTC),
            max_age=0,
        )
    return response


def _send_s3(storage: S3Storage, name: str, mimetype: str, disposition: str) -> Response:
    seconds = int(current_app.config.get("S3_PRESIGN_SECONDS") or 0)
    if seconds > 0:
        if storage.object_info(name) is None:
            abort(404)
        url = storage.presigned_url(
            name, expires=seconds, mimetype=mimetype, disposition=disposition
        )
        response = redirect(url, code=302)
        response.headers["Cache-Control"] = "private, no-store"  # the URL soon expires
        return response
    info = storage.object_info(name)
    if info is None:
        abort(404)
    response = Response(storage.body(name), mimetype=mimetype, direct_passthrough=True)
    response.content_length = info.size
    response.last_modified = info.modified
    if info.etag:
        response.set_etag(info.etag.strip('"'))
    return response.make_conditional(request, accept_ranges=True, complete_length=info.size)


# --- moving between storages -----------------------------------------------------------------


@dataclass
class CopyReport:
    """What a storage copy did."""

    copied: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)


def copy_storage(
    source: Storage, target: Storage, echo: Callable[[str], None] = lambda _line: None
) -> CopyReport:
    """Copy every object of ``source`` to ``target``, verifying each by its SHA-256.

    Resumable and idempotent: an object already in the target with the same bytes is left
    alone, a missing or different one is (re)written; every object is read back from the
    target and compared, so a finished run proves the target holds the same bytes.
    """
    report = CopyReport()
    for info in source.iter_objects():
        want = object_sha256(source, info.name)
        have = target.object_info(info.name)
        if have is not None and have.size == info.size and object_sha256(target, info.name) == want:
            report.already.append(info.name)
            continue
        with source.open_object(info.name) as handle:
            target.put_object(info.name, iter(lambda h=handle: h.read(CHUNK), b""))
        if object_sha256(target, info.name) != want:
            raise RuntimeError(f"{info.name} differs after copying; nothing was switched")
        report.copied.append(info.name)
        echo(f"copied {info.name} ({info.size} bytes)")
    return report


def object_sha256(storage: Storage, name: str) -> str:
    """Return the SHA-256 of stored object ``name``, read back from the storage."""
    digest = hashlib.sha256()
    with storage.open_object(name) as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class TroveRequest(Request):
    """Requests whose uploaded photos are written straight into quarantine, one by one."""

    @property
    def max_content_length(self) -> int | None:  # type: ignore[override]
        """Return the body limit: several photos for the upload form, one elsewhere."""
        if self._max_content_length is None and self.endpoint == "submissions.upload":
            config = current_app.config
            per_file = int(config["MAX_UPLOAD_MB"]) * 1024 * 1024
            return per_file * int(config["MAX_FILES_PER_REQUEST"]) + 65536
        return Request.max_content_length.fget(self)  # type: ignore[attr-defined]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        if self.endpoint != "submissions.upload":
            return super()._get_file_stream(
                total_content_length, content_type, filename, content_length
            )
        # Each photo has its own limit; the request's (MAX_CONTENT_LENGTH) is that limit
        # times the photos one form may carry.
        max_bytes = int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024
        return get_storage().open_part(max_bytes=max_bytes)  # type: ignore[return-value]
