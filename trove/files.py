"""The app's file storage and access-checked image responses."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import IO

from flask import Flask, Request, Response, current_app, send_file

from trove.media.storage import LocalStorage


def get_storage() -> LocalStorage:
    """Return the storage rooted at ``STORAGE_DIR`` (one per app)."""
    storage = current_app.extensions.get("trove_storage")
    if storage is None:
        storage = LocalStorage(current_app.config["STORAGE_DIR"])
        current_app.extensions["trove_storage"] = storage
    return storage


def init_app(app: Flask) -> None:
    """Create the storage directory at start-up, so the first upload finds it."""
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


def send_private_file(
    path: Path, mimetype: str, *, filename: str, attachment: bool = False
) -> Response:
    """Send a file the caller has already checked access to, revalidated on every use.

    ``filename`` names it for the browser (never the stored, content-addressed name: that
    is the file's hash). ``no-cache`` lets the browser keep a copy but ask first each time
    (a cheap 304 through the ETag and Last-Modified), so a withdrawn photo disappears at
    once instead of staying visible from the cache.
    """
    offload = current_app.config.get("IMAGE_OFFLOAD") or ""
    root = Path(current_app.config["STORAGE_DIR"]).resolve()
    if offload == "nginx":
        response = Response(mimetype=mimetype)
        response.headers["X-Accel-Redirect"] = "/_protected/" + str(
            path.resolve().relative_to(root)
        )
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
            last_modified=path.stat().st_mtime,
            max_age=0,
        )
    disposition = "attachment" if attachment else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.vary.add("Cookie")
    return response


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
