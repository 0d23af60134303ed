"""Read-side queries for the catalogue and the lab's project lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from trove.extensions import db
from trove.ids import parse_page
from trove.money import CURRENCIES
from trove.projects.models import Project, ProjectMember, ProjectStatus

PER_PAGE = 12
SORTS = {"newest": _l("Newest"), "ending": _l("Ending soon"), "pay": _l("Highest pay")}


@dataclass
class CatalogueFilters:
    """What the contributor asked the catalogue for."""

    q: str = ""
    currency: str = ""
    sort: str = "newest"
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> CatalogueFilters:
        """Read filters from query-string arguments, ignoring nonsense."""
        sort = args.get("sort", "newest")
        currency = args.get("currency", "")
        return cls(
            q=(args.get("q") or "").strip()[:100],
            currency=currency if currency in CURRENCIES else "",
            sort=sort if sort in SORTS else "newest",
            page=parse_page(args.get("page")),
        )

    def as_args(self, **changes: Any) -> dict[str, Any]:
        """Return non-default filters as query arguments, with ``changes``."""
        values = {"q": self.q, "currency": self.currency, "sort": self.sort, "page": self.page}
        values.update(changes)
        return {
            k: v
            for k, v in values.items()
            if v and not (k == "page" and v == 1) and not (k == "sort" and v == "newest")
        }


@dataclass
class Page:
    """One page of results."""

    items: list[Project]
    page: int
    total: int
    per_page: int

    @property
    def pages(self) -> int:
        """Return how many pages there are."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        """Return whether a later page exists."""
        return self.page < self.pages


def _open_projects() -> Select[Any]:
    return select(Project).where(
        Project.status == ProjectStatus.PUBLISHED,
        or_(Project.deadline.is_(None), Project.deadline >= date.today()),
    )


def catalogue(filters: CatalogueFilters) -> Page:
    """Return the open projects matching ``filters``."""
    query = _open_projects()
    if filters.q:
        like = f"%{filters.q.replace('%', '').replace('_', '')}%"
        query = query.where(or_(Project.title.ilike(like), Project.summary.ilike(like)))
    if filters.currency:
        query = query.where(Project.currency == filters.currency)
    order = {
        "newest": (Project.published_at.desc(), Project.id.desc()),
        "ending": (Project.deadline.asc(), Project.id.asc()),
        "pay": (Project.pay_minor.desc(), Project.id.desc()),
    }[filters.sort]
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = db.session.scalars(
        query.order_by(*order).limit(PER_PAGE).offset((filters.page - 1) * PER_PAGE)
    ).all()
    return Page(list(items), filters.page, total, PER_PAGE)


def newest_open(limit: int = 3) -> list[Project]:
    """Return the most recently published open projects."""
    return list(
        db.session.scalars(
            _open_projects().order_by(Project.published_at.desc(), Project.id.desc()).limit(limit)
        )
    )


def projects_for_member(user: Any) -> list[Project]:
    """Return the projects ``user`` is on the team of (every project for admins)."""
    # Members come with the projects: the dashboard asks can() for each row.
    query = (
        select(Project).options(selectinload(Project.members)).order_by(Project.updated_at.desc())
    )
    if not user.is_admin:
        query = query.join(ProjectMember).where(ProjectMember.user_id == user.id)
    return list(db.session.scalars(query))


def awaiting_vetting() -> list[Project]:
    """Return submitted projects, oldest first."""
    return list(
        db.session.scalars(
            select(Project)
            .where(Project.status == ProjectStatus.SUBMITTED)
            .order_by(Project.submitted_at)
        )
    )
