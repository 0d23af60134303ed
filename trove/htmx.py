"""Page-or-fragment rendering and htmx response headers.

Status convention: a form that fails validation answers **422** with the same fragment
re-rendered (values kept, messages per field). ``templates/base.html`` configures htmx's
``responseHandling`` to swap 422 responses; other 4xx/5xx responses are not swapped and
``static/app.js`` shows their short message in the page's alert region instead.

Views never read HX-* headers themselves; they call :func:`render` (or
:func:`redirect_or_fragment` after a change) and this module decides.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, redirect, render_template, request
from jinja2_fragments.flask import render_block

from trove.extensions import htmx


def is_fragment_request() -> bool:
    """Return whether the request wants a fragment rather than a whole page."""
    return bool(htmx) and not htmx.boosted


def render(
    template: str,
    *,
    block: str | None = None,
    status: int = 200,
    trigger: str | dict[str, Any] | None = None,
    **context: Any,
) -> Response:
    """Render ``template`` whole, or only ``block`` of it for an htmx request."""
    if block is not None and is_fragment_request():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = Response(body, status=status, mimetype="text/html")
    response.vary.add("HX-Request")
    if trigger is not None:
        add_trigger(response, trigger)
    return response


def add_trigger(response: Response, trigger: str | dict[str, Any]) -> Response:
    """Add an ``HX-Trigger`` event (or several) for listeners on the page."""
    events: dict[str, Any] = {}
    existing = response.headers.get("HX-Trigger")
    if existing:
        try:
            events.update(json.loads(existing))
        except ValueError:
            events.update({name.strip(): None for name in existing.split(",")})
    if isinstance(trigger, str):
        events[trigger] = None
    else:
        events.update(trigger)
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def redirect_after_change(
    location: str,
    *,
    template: str | None = None,
    block: str | None = None,
    trigger: str | dict[str, Any] | None = None,
    **context: Any,
) -> Response:
    """Answer a successful change: 303 for plain forms, the changed fragment for htmx."""
    if template is not None and is_fragment_request():
        return render(template, block=block, trigger=trigger, **context)
    if bool(htmx) and not htmx.boosted:
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
    else:
        response = redirect(location, code=303)
    response.vary.add("HX-Request")
    if trigger is not None:
        add_trigger(response, trigger)
    return response


def wants_json() -> bool:
    """Return whether the client prefers JSON over HTML (API-style callers)."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not bool(htmx)
