"""Security headers, role checks, safe redirects and the load-or-404 helper."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, has_request_context, request, url_for
from flask_login import current_user

from trove.extensions import db, login_manager

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M")


def add_security_headers(response: Response) -> Response:
    """Send the strict CSP and the other hardening headers on every response."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault(
        "Permissions-Policy", "geolocation=(), microphone=(), camera=(self)"
    )
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if response.mimetype == "text/html" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Register the security headers on ``app``."""
    app.after_request(add_security_headers)


def safe_next(target: str | None, default: str) -> str:
    """Return ``target`` if it is a local path on this site, else ``default``."""
    if not target:
        return default
    target = target.strip()
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def get_or_404(model: type[M], ident: Any) -> M:
    """Load a row by primary key or answer 404."""
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def role_required(*roles: Any) -> Callable[[F], F]:
    """Allow the view only to signed-in users holding one of ``roles`` (else 403)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def local_url(endpoint: str, _anchor: str | None = None, **values: Any) -> str:
    """Return a site-relative URL for ``endpoint``, inside or outside a request (jobs)."""
    if has_request_context():
        return url_for(endpoint, _anchor=_anchor, **values)
    adapter = current_app.url_map.bind("localhost", script_name="/")
    url = adapter.build(endpoint, values)
    return f"{url}#{_anchor}" if _anchor else url
