"""Read-side queries for the admin pages."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from trove.accounts.models import User
from trove.extensions import db
from trove.projects.queries import Page

#: People listed per page of Admin → People.
PEOPLE_PER_PAGE = 50


def like_pattern(text: str) -> str:
    """Return a LIKE pattern matching ``text`` anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def people(q: str, page: int) -> Page:
    """Return one page of accounts whose name or e-mail contains ``q``, oldest first."""
    per_page = PEOPLE_PER_PAGE
    query = select(User)
    if q:
        pattern = like_pattern(q)
        query = query.where(
            or_(
                User.display_name.ilike(pattern, escape="\\"),
                User.email.ilike(pattern, escape="\\"),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = db.session.scalars(
        query.order_by(User.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Page(list(items), page, total, per_page)  # type: ignore[arg-type]
