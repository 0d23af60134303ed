"""Demo data for ``flask trove seed-demo``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from trove.accounts import service as accounts
from trove.accounts.models import Role, User
from trove.projects import service as projects
from trove.projects import team as teams
from trove.projects.models import Project, TeamRole


def _demo_project(owner: User, admin: User, reviewer: User) -> Project:
    project = projects.create_project(owner, "Empty shelves in corner shops")
    projects.save_brief(
        project,
        owner,
        4,
        {
            "summary": "A camera on a shop shelf that tells staff when a product has sold out, "
            "so they can refill it before customers leave empty-handed.",
            "beneficiaries": "Small independent shops, their staff and their customers.",
            "must_show": "One shop shelf, photographed straight on from about two metres, "
            "in normal shop light. Some products missing is good: we need both full and "
            "partly empty shelves.",
            "must_not_show": "Shop staff or customers, price labels with handwriting, "
            "receipts, payment terminals.",
            "exclusions": ["faces", "plates", "screens"],
            "usage": "Training and testing an empty-shelf detector at the lab. A few photos "
            "may appear, blurred, in a research paper.",
            "access": "The four researchers on this project team.",
            "retention_days": 730,
            "target_count": 500,
            "pay_minor": 125,
            "currency": "GBP",
            "per_contributor_limit": 25,
            "deadline": date.today() + timedelta(days=60),
        },
    )
    teams.add_member(project, owner, reviewer, TeamRole.REVIEWER)
    projects.confirm_rules(project, owner)
    projects.submit_project(project, owner)
    projects.publish_project(project, admin)
    return project


def seed(password_factory: Callable[[], str]) -> list[tuple[str, str, str]]:
    """Create demo accounts and a published project; return the sign-ins."""
    logins: list[tuple[str, str, str]] = []
    people = [
        ("Instance admin", "admin@demo.trove", "Ada Admin", Role.ADMIN),
        ("Lab member (owner)", "lab@demo.trove", "Lin Researcher", Role.LAB_MEMBER),
        ("Lab member (reviewer)", "reviewer@demo.trove", "Rae Reviewer", Role.LAB_MEMBER),
        ("Contributor", "sam@demo.trove", "Sam Snapper", Role.CONTRIBUTOR),
        ("Contributor", "kim@demo.trove", "Kim Lens", Role.CONTRIBUTOR),
    ]
    users: dict[str, User] = {}
    for label, email, name, role in people:
        password = password_factory()
        user = accounts.create_user(email, password, name, role=role)
        if role is Role.CONTRIBUTOR:
            user.paypal_email = email.replace("@demo.trove", "@paypal.demo.trove")
            user.country = "GB"
        users[email] = user
        logins.append((label, email, password))
    _demo_project(users["lab@demo.trove"], users["admin@demo.trove"], users["reviewer@demo.trove"])
    return logins
