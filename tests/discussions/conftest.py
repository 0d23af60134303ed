"""Fixtures for the Q&A tests: a project with its team, a contributor and an admin."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

import pytest
from sqlalchemy import delete

from tests.conftest import seed_once
from tests.factories import add_team_member, make_project, make_user
from trove import mail as trove_mail
from trove.accounts.models import Role, User
from trove.extensions import db
from trove.notifications.models import Notification
from trove.projects.models import Project


@dataclass
class Cast:
    """The people around one project."""

    project: Project
    owner: User
    viewer: User  # on the team with the viewer role
    contributor: User
    other: User  # another contributor
    lab: User  # a lab member who is not on the team
    admin: User


def make_cast(status: str = "published") -> Cast:
    """Create a project in ``status`` and the people around it."""
    owner = make_user(Role.LAB_MEMBER, email="owner@example.org", name="Olive Owner")
    project = make_project(owner, status=status)
    # Publishing told the owner (in the app and by e-mail); the tests count Q&A news only.
    db.session.execute(delete(Notification))
    trove_mail.outbox.clear()
    return Cast(
        project=project,
        owner=owner,
        viewer=add_team_member(project, "viewer"),
        contributor=make_user(email="sam@example.org", name="Sam Contributor"),
        other=make_user(email="kim@example.org", name="Kim Contributor"),
        lab=make_user(Role.LAB_MEMBER, email="lab@example.org", name="Lee Lab"),
        admin=make_user(Role.ADMIN, email="root@example.org", name="Ada Admin"),
    )


@pytest.fixture
def req(app_ctx: Any) -> Iterator[Any]:
    """Run a service test inside a request (notifications build links with url_for)."""
    with app_ctx.test_request_context("/"):
        yield app_ctx
        db.session.rollback()


@pytest.fixture
def cast(req: Any) -> Cast:
    """Return a published project's cast (built once per process on SQLite: ``seed_once``)."""
    ids = seed_once(req, _build_cast_ids)
    people = {name: db.session.get(User, ids[name]) for name in ids if name != "project"}
    return Cast(project=db.session.get(Project, ids["project"]), **people)


def _build_cast_ids(app: Any) -> dict[str, int]:
    """Create a published project's cast; return each member's id by field name."""
    with app.app_context(), app.test_request_context("/"):
        cast = make_cast()
        db.session.commit()
        return {field.name: getattr(cast, field.name).id for field in fields(Cast)}
