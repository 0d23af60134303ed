"""Cache-busting for ``static/``: each static URL carries its file's content hash.

``url_for('static', filename=...)`` gains ``?v=<hash>`` (an ``url_defaults`` hook, so
templates need no change). A request whose ``v`` matches the file's current hash is
answered ``Cache-Control: public, max-age=31536000, immutable``: a new version of the file
gets a new URL, so browsers never need to ask again. Without ``v`` (or with a stale one)
Flask's default stays: ``no-cache``, i.e. revalidate with the ETag each time.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
HASH_LENGTH = 12  # hex digits of SHA-256: 48 bits, plenty to tell versions of a file apart

_CacheEntry = tuple[tuple[int, int], str]


def static_hash(filename: str) -> str | None:
    """Return the short SHA-256 of a file under the static folder, or None if it is absent.

    Computed once per file and process; in debug mode it is recomputed when the file's
    modification time or size changes, so edits show at once while developing.
    """
    app = current_app
    folder = app.static_folder
    path = safe_join(folder, filename) if folder else None
    if path is None:
        return None
    cache: dict[str, _CacheEntry] = app.extensions.setdefault("trove_static_hashes", {})
    entry = cache.get(path)
    if entry is not None and not app.debug:
        return entry[1]
    try:
        stat = os.stat(path)
    except OSError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    if entry is not None and entry[0] == stamp:
        return entry[1]
    try:
        with open(path, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()[:HASH_LENGTH]
    except OSError:  # a directory, or removed meanwhile
        return None
    cache[path] = (stamp, digest)
    return digest


def add_static_version(endpoint: str, values: dict[str, Any]) -> None:
    """Add ``v=<hash>`` to every URL built for the static endpoint."""
    if endpoint != "static" or "v" in values or "filename" not in values:
        return
    digest = static_hash(values["filename"])
    if digest is not None:
        values["v"] = digest


def cache_versioned_static(response: Response) -> Response:
    """Let browsers keep a static file for a year when its URL names its current hash."""
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    version = request.args.get("v")
    filename = (request.view_args or {}).get("filename")
    if version and filename and version == static_hash(filename):
        response.headers["Cache-Control"] = IMMUTABLE
    return response


def buffer_compressible_static(response: Response) -> Response:
    """Read a small static text file into the response so that Flask-Compress takes it.

    Static files are sent as a stream of the open file, which the compressor skips (it
    would leave the file unclosed); ours are tens of kilobytes, sent once per version.
    """
    compressible = current_app.config.get("COMPRESS_MIMETYPES") or ()
    if (
        request.endpoint == "static"
        and response.status_code == 200
        and response.mimetype in compressible
    ):
        response.direct_passthrough = False
        response.make_sequence()  # the file is closed when the response is
    return response


def init_app(app: Flask) -> None:
    """Version static URLs and cache the versioned ones for good; let them be compressed."""
    app.url_defaults(add_static_version)
    app.after_request(cache_versioned_static)
    app.after_request(buffer_compressible_static)
