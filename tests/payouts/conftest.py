"""Fixtures for payouts: a project with approved photos, a finance team, a local PayPal."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.factories import add_team_member, make_processed_submission, make_project, make_user
from tests.paypal_server import FakePayPal, LateAnswersTimeOut
from trove.accounts.models import Role, User
from trove.extensions import db
from trove.payouts import client as paypal_settings
from trove.payouts.models import Earning, EarningStatus
from trove.projects.models import Project
from trove.review.service import approve_submission


@dataclass
class Team:
    """A project with its finance people, a reviewer and contributors with approved photos."""

    project: Project
    owner: User
    finance: User
    finance2: User
    reviewer: User
    contributors: list[User] = field(default_factory=list)


def build_team(photos: dict[str, int], *, pay_minor: int = 150, currency: str = "USD") -> Team:
    """Create the project; ``photos`` maps a contributor's PayPal e-mail ("" for none) to a
    number of approved photos."""
    owner = make_user(Role.LAB_MEMBER, email="owner@example.org", name="Olive Owner")
    project = make_project(
        owner,
        title="Door handles",
        target_count=500,
        per_contributor_limit=None,
        pay_minor=pay_minor,
        currency=currency,
    )
    team = Team(
        project=project,
        owner=owner,
        finance=add_team_member(project, "finance"),
        finance2=add_team_member(project, "finance"),
        reviewer=add_team_member(project, "reviewer"),
    )
    for n, (email, count) in enumerate(photos.items()):
        person = make_user(name=f"Contributor {n}", paypal_email=email or None)
        team.contributors.append(person)
        for _ in range(count):
            approve_submission(make_processed_submission(project, person), team.reviewer)
            db.session.commit()
    return team


def ledger_totals(project: Project) -> dict[str, int]:
    """Return the sum of earnings per status, in minor units."""
    rows = db.session.execute(
        select(Earning.status, func.sum(Earning.amount_minor))
        .where(Earning.project_id == project.id)
        .group_by(Earning.status)
    )
    return {EarningStatus(status).value: int(total) for status, total in rows}


@pytest.fixture
def paypal() -> Iterator[FakePayPal]:
    """A local server speaking the PayPal Payouts API."""
    with FakePayPal() as server:
        yield server


@pytest.fixture
def fast_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short back-off for the PayPal client; timeouts only where the fake answers late.

    The real timeout is generous: a short one fails calls on a busy machine.
    """
    monkeypatch.setitem(paypal_settings.CLIENT_OPTIONS, "timeout", 60.0)
    monkeypatch.setitem(paypal_settings.CLIENT_OPTIONS, "transport", LateAnswersTimeOut())
    monkeypatch.setitem(paypal_settings.CLIENT_OPTIONS, "max_retries", 1)
    monkeypatch.setitem(paypal_settings.CLIENT_OPTIONS, "backoff", 0.01)


@pytest.fixture
def paypal_app(make_app: Any, paypal: FakePayPal, fast_client: None) -> Iterator[Any]:
    """An app whose payouts go to the local PayPal server."""
    app = make_app(
        PAYPAL_CLIENT_ID=paypal.client_id,
        PAYPAL_CLIENT_SECRET=paypal.secret,
        PAYPAL_BASE_URL=paypal.base_url,
        PAYPAL_WEBHOOK_ID=paypal.webhook_id,
    )
    yield app
    cached = app.extensions.pop("trove_paypal", None)
    if cached is not None:
        cached[1].close()


@pytest.fixture
def paypal_ctx(paypal_app: Any) -> Iterator[Any]:
    """Run inside a request of the PayPal-configured app (notifications build links)."""
    with paypal_app.test_request_context("/"):
        yield paypal_app
        db.session.rollback()


@pytest.fixture
def manual_ctx(app: Any) -> Iterator[Any]:
    """Run inside a request of an app without PayPal credentials (manual mode)."""
    with app.test_request_context("/"):
        yield app
        db.session.rollback()
