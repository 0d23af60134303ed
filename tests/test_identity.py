"""Identities stay behind pseudonyms: stable per-project pseudonyms, and who sees whom.

Every team screen (photos, review, datasets, contests, audit) names a contributor only by
the pseudonym dataset exports use; the name, e-mail, PayPal address and original file name
appear only where paying needs them (finance screens; the owner sending a contest prize).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import login, seed_once
from tests.factories import add_team_member, make_project, make_submission, make_user
from trove.accounts.models import Role, User
from trove.contests import service as contests
from trove.contests.models import ContestWinner
from trove.discussions.service import ask_question
from trove.exports import service as exports
from trove.extensions import db
from trove.projects.models import Project
from trove.review.service import appeal_rejection, approve_submission, reject_submission
from trove.timeutil import utcnow

NAME = "Samantha Quirkname"
EMAIL = "samantha.quirk@example.org"
PAYPAL = "sam.pays.here@example.org"
FILENAME = "sams-kitchen-IMG_4242.jpg"
SECRETS = (NAME, EMAIL, PAYPAL, FILENAME)

TEAM = ("owner", "reviewer", "viewer", "steward", "finance", "admin")


@pytest.fixture
def world(app):
    return seed_once(app, _build_world)


def _build_world(app):
    with app.test_request_context("/"):
        owner = make_user(Role.LAB_MEMBER, name="Olive Owner")
        project = make_project(owner, target_count=50, per_contributor_limit=None)
        people = {"owner": owner.email, "admin": make_user(Role.ADMIN).email}
        for role in ("reviewer", "viewer", "steward", "finance"):
            people[role] = add_team_member(project, role).email
        reviewer = project.members[1].user
        sam = make_user(name=NAME, email=EMAIL, paypal_email=PAYPAL)
        kept, declined = make_submission(project, sam), make_submission(project, sam)
        kept.original_filename = declined.original_filename = FILENAME
        approve_submission(kept, reviewer)
        reject_submission(declined, reviewer, "blurry", "Out of focus")
        appeal_rejection(declined, sam, "It is sharp on my phone.")
        db.session.commit()
        now = utcnow()

        def contest(title: str, ends_at):
            form = contests.ContestTerms(
                title=title,
                prize="A gift card",
                rules="One entry per approved photo.",
                starts_at=now - timedelta(days=1),
                ends_at=ends_at,
                winner_count=3,
            )
            return contests.create_contest(project, owner, form)

        running = contest("Running", now + timedelta(days=1))
        drawn = contest("Drawn", now)
        db.session.flush()
        drawn.ends_at = utcnow()
        contests.draw(drawn, owner)
        db.session.commit()
        version = exports.cut_version(project, project.members[3].user, exports.VersionRequest())
        db.session.commit()
        winner = db.session.scalars(
            db.select(ContestWinner).where(ContestWinner.contest_id == drawn.id)
        ).one()
        return {
            **people,
            "sam": EMAIL,
            "project": project.id,
            "kept": kept.id,
            "declined": declined.id,
            "running": running.id,
            "drawn": drawn.id,
            "winner": winner.id,
            "version": version.id,
            "pseudonym": exports.pseudonym_for(project, sam.id),
        }


#: Team screens that show contributors, and whether each must show the pseudonym.
SCREENS = {
    "/projects/{project}/review?status=rejected": True,
    "/projects/{project}/review?status=approved": True,
    "/submissions/{declined}/zoom": True,
    "/submissions/{declined}/card": True,
    "/submissions/{kept}/card": True,
    "/projects/{project}/audit": True,
    "/contests/{running}": True,
    "/contests/{drawn}": True,
    "/contests/{running}/entries.json": True,
    "/contests/{drawn}/entries.json": True,
    "/projects/{project}/contests": False,
    "/projects/{project}/datasets": False,
    "/datasets/{version}": False,
    "/projects/{project}/deletion-list.json": False,
    "/projects/{project}": False,
    "/projects/{project}/team": False,
    "/admin/": False,
}


@pytest.mark.parametrize("who", TEAM)
def test_team_screens_show_pseudonyms_never_names_emails_or_file_names(client, world, who):
    login(client, world[who])
    seen = 0
    for path, shows_pseudonym in SCREENS.items():
        response = client.get(path.format(**world))
        if response.status_code in (403, 404):
            continue
        assert response.status_code == 200, path
        seen += 1
        body = response.get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in body, f"{who} sees {secret!r} on {path}"
        if shows_pseudonym:
            assert world["pseudonym"] in body, f"{who} sees no pseudonym on {path}"
    assert seen >= 7


PAYING = ["/projects/{project}/payouts", "/contests/winners/{winner}/prize"]


@pytest.mark.parametrize("path", PAYING)
def test_finance_and_the_prize_page_name_the_contributor_but_not_beside_a_pseudonym(
    client, world, path
):
    login(client, world["owner"])
    body = client.get(path.format(**world)).get_data(as_text=True)
    assert NAME in body and PAYPAL in body
    assert world["pseudonym"] not in body and FILENAME not in body


def test_finance_members_see_names_on_finance_screens_only(client, world):
    login(client, world["finance"])
    assert NAME in client.get(f"/projects/{world['project']}/payouts").get_data(as_text=True)
    assert client.get(f"/contests/winners/{world['winner']}/prize").status_code == 403


@pytest.mark.parametrize("who", ["reviewer", "viewer", "steward"])
def test_other_roles_cannot_open_the_prize_page(client, world, who):
    login(client, world[who])
    assert client.get(f"/contests/winners/{world['winner']}/prize").status_code == 403


def test_the_contributor_sees_their_own_file_name(client, world):
    login(client, world["sam"])
    assert FILENAME in client.get(f"/submissions/{world['kept']}/card").get_data(as_text=True)
    assert FILENAME in client.get("/me/photos").get_data(as_text=True)


def test_the_owner_excludes_an_entrant_by_pseudonym(client, world):
    login(client, world["owner"])
    response = client.post(
        f"/contests/{world['running']}/exclude",
        data={"contributor": world["pseudonym"], "reason": "Same person twice"},
    )
    assert response.status_code == 303
    page = client.get(f"/contests/{world['running']}").get_data(as_text=True)
    assert "Excluded: Same person twice" in page
    unknown = client.post(
        f"/contests/{world['running']}/exclude", data={"contributor": "c-nobody", "reason": "x"}
    )
    assert unknown.status_code == 422


@pytest.mark.parametrize("who", [*TEAM, None])
def test_questions_name_askers_alike_for_everyone_and_never_by_pseudonym(app, client, world, who):
    """The thread is public under display names, so the team sees those names too.

    A pseudonym shown to the team alone would be paired with the public name by any team
    member who opens the thread signed out; the name is never put beside a photo or a
    pseudonym, which is what the pseudonym rule forbids.
    """
    with app.test_request_context("/"):
        project = db.session.get(Project, world["project"])
        sam = db.session.scalar(db.select(User).where(User.email == EMAIL))
        ask_question(project, sam, "May I photograph at night?")
        db.session.commit()
    if who is not None:
        login(client, world[who])
    body = client.get(f"/projects/{world['project']}/questions").get_data(as_text=True)
    assert "May I photograph at night?" in body and NAME in body
    assert world["pseudonym"] not in body
