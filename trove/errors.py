"""Domain errors and the htmx-aware HTTP error pages."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from trove.media.errors import StorageUnavailable
from trove.security import safe_next

log = logging.getLogger(__name__)


class DomainError(Exception):
    """An illegal move in a business rule; its message is shown to the person."""

    def __init__(self, message: str, *, field: str | None = None, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


MESSAGES = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Reload the page and try again."),
    ),
    403: (_l("Not allowed"), _l("You do not have permission to do that.")),
    404: (_l("Not found"), _l("There is nothing here. The link may be out of date.")),
    405: (_l("Not allowed"), _l("That action is not available here.")),
    413: (_l("File too large"), _l("That upload is larger than this site accepts.")),
    429: (_l("Slow down"), _l("Too many attempts. Wait a minute and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error happened. It has been logged.")),
    503: (_l("Unavailable"), _l("The service is temporarily unavailable. Try again shortly.")),
    507: (
        _l("Storage full"),
        _l("The server has no room to store this right now. Try again later."),
    ),
}


#: How long a client is asked to wait when a dependency (the file store) is down.
RETRY_AFTER_SECONDS = 30

#: What a person sees when a form's CSRF token is missing, stale or from another session
#: (Flask-WTF's own words, "The CSRF token is invalid.", mean nothing to them).
EXPIRED = _l("This page has expired. Reload it and try again.")


def _render_error(code: int, detail: str | None = None, *, reload: bool = False) -> Response:
    # A real cycle: trove.htmx imports DomainError from this module.
    from trove.htmx import render

    title, message = MESSAGES.get(code, (_l("Error"), _l("Something went wrong.")))
    if code == 413:
        config = current_app.config
        message = _(
            "That upload is larger than the %(mb)s MB per photo (%(files)s photos at a time) "
            "this site accepts.",
            mb=config["MAX_UPLOAD_MB"],
            files=config["MAX_FILES_PER_REQUEST"],
        )
    if detail and code not in (404, 500):
        message = detail
    if reload:
        title = _("Page expired")
    # The page to reload: the one the form was on (a POST URL itself cannot be reloaded).
    referrer = urlsplit(request.referrer or "")
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    if referrer.netloc == request.host:
        back = back or referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return render(
        "errors/error.html",
        block="error",
        status=code,
        code=code,
        title=title,
        message=message,
        reload_url=safe_next(back, "/") if reload else None,
    )


def handle_http_exception(error: HTTPException) -> Response | HTTPException:
    """Render an HTTP error as a page, or as a small fragment for htmx requests."""
    code = error.code or 500
    if code < 400:
        return error
    if isinstance(error, SecurityError):
        # A Host outside TRUSTED_HOSTS: no URL can be built for it, so no page either.
        return Response("Bad request: unknown host.\n", status=400, mimetype="text/plain")
    if isinstance(error, CSRFError):
        return _render_error(code, str(EXPIRED), reload=True)
    detail = None
    if code in (400, 403, 409, 429, 503, 507) and error.description not in (
        None,
        type(error).description,
    ):
        detail = str(error.description)
    if code == 429:
        detail = None
    response = _render_error(code, detail)
    if code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    if code == 429 and error.get_response().headers.get("Retry-After"):
        response.headers["Retry-After"] = error.get_response().headers["Retry-After"]
    return response


def handle_unexpected(error: Exception) -> Response:
    """Log an unexpected exception and answer a friendly 500."""
    if isinstance(error, HTTPException):
        return handle_http_exception(error)  # type: ignore[return-value]
    log.exception("Unhandled error on %s %s", request.method, request.path)
    return _render_error(InternalServerError.code)


def handle_storage_unavailable(error: StorageUnavailable) -> Response:
    """Answer 503 (try again) when the file store is down or refuses our credentials."""
    log.warning(
        "file store unavailable on %s %s: %r", request.method, request.path, error.__cause__
    )
    response = _render_error(
        503, _("%(reason)s Please try again in a few minutes.", reason=_(str(error)))
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def init_app(app: Flask) -> None:
    """Register the error handlers on ``app``."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(StorageUnavailable, handle_storage_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
