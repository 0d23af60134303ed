"""The app's file storage and access-checked image responses."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, Response, current_app, send_file

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
