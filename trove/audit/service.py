"""Write audit events."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from trove.accounts.models import User
from trove.audit.models import AuditEvent
from trove.extensions import db


def record_event(
    actor: User | None,
    action: str,
    target: Any = None,
    *,
    project_id: int | None = None,
    **data: Any,
) -> AuditEvent:
    """Add an audit event for ``action`` on ``target`` by ``actor`` (flushes, no commit)."""
    # current_user and friends are proxies; record the object behind them.
    target = getattr(target, "_get_current_object", lambda: target)()
    actor = getattr(actor, "_get_current_object", lambda: actor)()
    event = AuditEvent(
        actor_id=actor.id if actor is not None and getattr(actor, "id", None) else None,
        action=action,
        target_type=type(target).__name__.lower() if target is not None else "instance",
        target_id=getattr(target, "id", None),
        project_id=project_id,
        ip=request.remote_addr if has_request_context() else None,
        data=data,
    )
    db.session.add(event)
    db.session.flush()
    return event
