"""The app's file storage and access-checked image responses."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from flask import Request, Response, current_app, send_file

from trove.media.storage import LocalStorage


def get_storage() -> LocalStorage:
    """Return the storage rooted at ``STORAGE_DIR`` (one per app)."""
    storage = current_app.extensions.get("trove_storage")
    if storage is None:
        storage = LocalStorage(current_app.config["STORAGE_DIR"])
        current_app.extensions["trove_storage"] = storage
    return storage


def send_private_file(path: Path, mimetype: str, *, download_name: str | None = None) -> Response:
    """Send a file the caller has already checked access to, never cached by shared caches."""
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
            as_attachment=download_name is not None,
            download_name=download_name,
            conditional=True,
            max_age=0,
        )
    if download_name is not None and offload:
        response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    response.headers["Cache-Control"] = "private, max-age=3600"
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
