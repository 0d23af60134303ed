"""Page-or-fragment rendering and htmx response headers.

Status convention: a form that fails validation answers **422** with the same fragment
re-rendered (values kept, messages per field). ``templates/base.html`` configures htmx's
``responseHandling`` to swap 422 responses; other 4xx/5xx responses are not swapped and
``static/app.js`` shows their short message in the page's alert region instead.

Views never read HX-* headers themselves; they call :func:`render` (or
:func:`redirect_after_change` after a change) and this module decides.

A change is one step, written once in :func:`apply_change`: run the service call; on a
:class:`~trove.errors.DomainError` roll back and answer with the refusal (the fragment with
the message, or the message flashed on the page the person returns to); otherwise commit
and answer with what changed. A flashed message is only for a redirect: a fragment shows
the change (or the refusal) itself, so nothing is flashed for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, redirect, render_template
from flask import flash as flash_message
from jinja2_fragments.flask import render_block

from trove.errors import DomainError
from trove.extensions import db, htmx

T = TypeVar("T")


def is_fragment_request() -> bool:
    """Return whether the request wants a fragment rather than a whole page."""
    return bool(htmx) and not htmx.boosted


def render(
    template: str,
    *,
    block: str | None = None,
    partial: str | None = None,
    status: int = 200,
    trigger: str | dict[str, Any] | None = None,
    **context: Any,
) -> Response:
    """Render ``template`` whole, or for an htmx request only its ``block`` (or the
    shared ``partial`` template that stands for the same part of the page)."""
    if partial is not None and is_fragment_request():
        body = render_template(partial, **context)
    elif block is not None and is_fragment_request():
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
    /,
    *,
    flash: str | None = None,
    category: str = "success",
    template: str | None = None,
    block: str | None = None,
    trigger: str | dict[str, Any] | None = None,
    **context: Any,
) -> Response:
    """Answer a successful change: 303 for plain forms, the changed fragment for htmx.

    ``flash`` is shown on the page the person lands on; it is not flashed when the answer
    is the fragment, which shows the change itself.
    """
    if template is not None and is_fragment_request():
        return render(template, block=block, trigger=trigger, **context)
    if flash is not None:
        flash_message(flash, category)
    if bool(htmx) and not htmx.boosted:
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
    else:
        response = redirect(location, code=303)
    response.vary.add("HX-Request")
    if trigger is not None:
        add_trigger(response, trigger)
    return response


def refuse_change(
    location: str,
    refusal: DomainError | str,
    /,
    *,
    status: int = 422,
    template: str | None = None,
    block: str | None = None,
    **context: Any,
) -> Response:
    """Answer a refused change: the fragment for htmx, else the message flashed on
    ``location`` (a page answered at a POST-only URL would 405 on reload).

    ``refusal`` is a service's :class:`DomainError` (its status is used) or a message
    answered with ``status``.
    """
    if isinstance(refusal, DomainError):
        message, status = refusal.message, refusal.status
    else:
        message = refusal
    if template is not None and is_fragment_request():
        return render(template, block=block, status=status, **context)
    flash_message(message, "error")
    return redirect_after_change(location)


def apply_change(
    action: Callable[[], T],
    *,
    done: Callable[[T], Response],
    on_error: str | Callable[[DomainError], Response],
) -> Response:
    """Run ``action`` (one service call), then commit and answer ``done(result)``.

    On a :class:`DomainError` the session is rolled back and the answer is
    ``on_error(error)``, or, when ``on_error`` is a location, the message flashed there.
    """
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        if isinstance(on_error, str):
            return refuse_change(on_error, error)
        return on_error(error)
    db.session.commit()
    return done(result)
