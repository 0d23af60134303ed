"""Project rules without HTTP: status machine, budgets, versions, auto-close, teams."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.factories import add_team_member, make_project, make_user
from trove.accounts.models import Role
from trove.errors import DomainError
from trove.extensions import db
from trove.money import MoneyError, format_money, parse_money
from trove.projects import service
from trove.projects import team as teams
from trove.projects.models import BriefVersion, ProjectStatus, TeamRole


def test_create_project_makes_owner_and_default_licence(app_ctx):
    owner = make_user(Role.LAB_MEMBER)
    project = service.create_project(owner, "Street signs")
    assert project.status is ProjectStatus.DRAFT
    assert project.member(owner).role is TeamRole.OWNER
    assert "Test Lab" in project.licence_text


def test_a_project_has_its_own_pseudonym_salt_from_creation(app_ctx):
    owner = make_user(Role.LAB_MEMBER)
    first = service.create_project(owner, "One")
    second = service.create_project(owner, "Two")
    assert len(first.pseudonym_salt) == 64 and first.pseudonym_salt != second.pseudonym_salt


def test_contributors_cannot_create_projects(app_ctx):
    with pytest.raises(DomainError):
        service.create_project(make_user(), "Nope")


@pytest.mark.parametrize(
    ("start", "action"),
    [
        ("draft", "publish"),
        ("draft", "pause"),
        ("draft", "resume"),
        ("published", "submit"),
        ("published", "publish"),
        ("closed", "resume"),
        ("closed", "pause"),
        ("closed", "close"),
        ("paused", "pause"),
    ],
)
def test_illegal_transitions_raise(app_ctx, start, action):
    project = make_project(status=start)
    owner = project.members[0].user
    admin = make_user(Role.ADMIN)
    calls = {
        "publish": lambda: service.publish_project(project, admin),
        "pause": lambda: service.pause_project(project, owner),
        "resume": lambda: service.resume_project(project, owner),
        "submit": lambda: service.submit_project(project, owner),
        "close": lambda: service.close_project(project, owner, "x"),
    }
    with pytest.raises(DomainError):
        calls[action]()
    assert project.status is ProjectStatus(start)


def test_full_lifecycle(app_ctx):
    project = make_project(status="draft")
    owner = project.members[0].user
    admin = make_user(Role.ADMIN)
    service.confirm_rules(project, owner)
    service.submit_project(project, owner)
    service.send_back(project, admin, "Say who can access the photos.")
    assert project.status is ProjectStatus.DRAFT and "access" in project.review_comment
    service.submit_project(project, owner)
    version = service.publish_project(project, admin)
    assert version.number == 1 and project.current_version is version
    service.pause_project(project, owner)
    service.resume_project(project, owner)
    service.close_project(project, owner, "Enough photos")
    assert project.status is ProjectStatus.CLOSED and project.closed_at is not None


def test_incomplete_draft_cannot_be_submitted(app_ctx):
    owner = make_user(Role.LAB_MEMBER)
    project = service.create_project(owner, "Half done")
    with pytest.raises(DomainError, match="a summary"):
        service.submit_project(project, owner)
    missing_steps = {step for step, _ in service.missing_for_submission(project)}
    assert missing_steps == {1, 2, 4, 5}


def test_only_managers_change_status(app_ctx):
    project = make_project()
    reviewer = add_team_member(project, "reviewer")
    outsider = make_user(Role.LAB_MEMBER)
    for user in (reviewer, outsider):
        with pytest.raises(DomainError):
            service.pause_project(project, user)


def test_budget_is_target_times_pay_in_minor_units(app_ctx):
    project = make_project(target_count=250, pay_minor=135, currency="GBP")
    assert project.budget_minor == 33_750
    assert format_money(project.budget_minor, "GBP") == "£337.50"


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1.50", "USD", 150),
        ("£2", "GBP", 200),
        ("0.1", "EUR", 10),
        ("1,000.01", "USD", 100_001),
        ("300", "JPY", 300),
    ],
)
def test_parse_money_exact(text, currency, minor):
    assert parse_money(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("-1", "USD"),
        ("1.505", "USD"),
        ("abc", "USD"),
        ("1.5", "JPY"),
        ("1e3", "USD"),
        ("", "USD"),
        ("1", "XXX"),
    ],
)
def test_parse_money_rejects(text, currency):
    with pytest.raises(MoneyError):
        parse_money(text, currency)


def test_editing_published_brief_creates_new_version(app_ctx):
    project = make_project()
    owner = project.members[0].user
    first = project.current_version
    version = service.save_brief(project, owner, 4, {"pay_minor": 200})
    assert version.number == 2 and project.current_version is version
    assert first.pay_minor == 150 and version.pay_minor == 200
    assert version.data["pay_minor"] == 200
    # No change, no version.
    assert service.save_brief(project, owner, 4, {"pay_minor": 200}) is None
    assert db.session.query(BriefVersion).count() == 2


def test_licence_change_changes_the_licence_hash(app_ctx):
    project = make_project()
    owner = project.members[0].user
    before = project.current_version.licence_hash
    version = service.save_brief(project, owner, 2, {"licence_text": "A new licence."})
    assert version.licence_hash == BriefVersion.hash_licence("A new licence.") != before


def test_published_target_cannot_drop_below_approvals(app_ctx):
    project = make_project(target_count=10)
    owner = project.members[0].user
    project.approved_count = 6
    with pytest.raises(DomainError, match="6 photos already approved"):
        service.save_brief(project, owner, 4, {"target_count": 5})


def test_submitted_brief_is_locked(app_ctx):
    project = make_project(status="submitted")
    with pytest.raises(DomainError, match="waiting for an admin"):
        service.save_brief(project, project.members[0].user, 1, {"title": "New"})


def test_auto_close_on_deadline_and_ethics_expiry(app_ctx):
    late = make_project(deadline=date.today() + timedelta(days=1))
    ethics = make_project(ethics_expires_on=date.today() + timedelta(days=5))
    fine = make_project()
    closed = service.auto_close_due(today=date.today() + timedelta(days=5))
    assert {p.id for p in closed} == {late.id, ethics.id}
    assert late.close_reason == "Deadline passed"
    assert ethics.close_reason == "Ethics approval expired"
    assert fine.status is ProjectStatus.PUBLISHED


def test_reserve_approval_respects_target_and_budget(app_ctx):
    project = make_project(target_count=2, pay_minor=100)
    assert service.reserve_approval(project, 100)
    assert service.reserve_approval(project, 100)
    assert not service.reserve_approval(project, 100)
    assert (project.approved_count, project.spent_minor) == (2, 200)
    assert service.close_if_target_reached(project)
    assert project.status is ProjectStatus.CLOSED and project.close_reason == "Target reached"


def test_team_keeps_an_owner(app_ctx):
    project = make_project()
    owner_member = project.members[0]
    owner = owner_member.user
    with pytest.raises(DomainError, match="at least one owner"):
        teams.remove_member(project, owner, owner_member)
    with pytest.raises(DomainError, match="at least one owner"):
        teams.change_member_role(project, owner, owner_member, TeamRole.VIEWER)
    colleague = make_user(Role.LAB_MEMBER)
    member = teams.add_member(project, owner, colleague, TeamRole.REVIEWER)
    with pytest.raises(DomainError, match="already on the team"):
        teams.add_member(project, owner, colleague, TeamRole.VIEWER)
    with pytest.raises(DomainError, match="No lab member uses that address"):
        teams.add_member(project, owner, make_user(), TeamRole.VIEWER)
    teams.change_member_role(project, owner, member, TeamRole.OWNER)
    teams.change_member_role(project, owner, owner_member, TeamRole.VIEWER)
