"""Contest pages over HTTP: who sees what, inline errors, the draw, referrals at sign-up."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import login, seed_once
from tests.exports.conftest import build_lab
from tests.factories import make_user
from tests.signup import sign_up
from trove.accounts.models import User
from trove.contests import service
from trove.contests.models import Contest
from trove.extensions import db
from trove.timeutil import utcnow

HX = {"HX-Request": "true"}
PSEUDONYM = re.compile(r"c-[0-9a-f]{24}")


@pytest.fixture
def world(app):
    return seed_once(app, _build_world)


def _build_world(app):
    with app.test_request_context("/"):
        lab = build_lab((2, 1))
        now = utcnow()
        contest = service.create_contest(
            lab.project,
            lab.owner,
            service.ContestTerms(
                title="Spring draw",
                prize="A $500 gift card",
                rules="One entry per approved photo.",
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=1),
                referral_bonus=2,
            ),
        )
        db.session.commit()
        return {
            "project_id": lab.project.id,
            "contest_id": contest.id,
            "seed": contest.seed,
            "commitment": contest.seed_commitment,
            "owner": lab.owner.email,
            "reviewer": lab.reviewer.email,
            "contributor": lab.contributors[0].email,
            "stranger": make_user().email,
        }


def test_the_public_page_shows_the_commitment_but_not_the_seed(client, world):
    page = client.get(f"/contests/{world['contest_id']}").get_data(as_text=True)
    assert world["commitment"] in page and world["seed"] not in page
    assert "A $500 gift card" in page and "Leaderboard" not in page
    assert client.get(f"/contests/{world['contest_id']}/entries.json").status_code == 404
    brief = client.get(f"/projects/{world['project_id']}").get_data(as_text=True)
    assert "every photo approved until" in brief


def test_a_contributor_sees_their_entries_and_referral_link(client, world):
    login(client, world["contributor"])
    page = client.get(f"/contests/{world['contest_id']}").get_data(as_text=True)
    assert "You have <strong>2</strong> entries" in page
    assert "/signup?ref=" in page


def test_the_team_sees_the_leaderboard_and_live_entries(client, world):
    login(client, world["reviewer"])
    page = client.get(f"/contests/{world['contest_id']}").get_data(as_text=True)
    assert 'id="leaderboard"' in page and "Draw the winners" not in page
    data = client.get(f"/contests/{world['contest_id']}/entries.json").get_json()
    assert sorted(e["entries"] for e in data["entries"]) == [1, 2] and "seed" not in data


def test_pseudonyms_are_the_same_on_every_load(client, world):
    login(client, world["reviewer"])
    for path in ("/contests/{contest_id}/entries.json", "/contests/{contest_id}"):
        url = path.format(**world)
        loads = [set(PSEUDONYM.findall(client.get(url).get_data(as_text=True))) for _ in (1, 2)]
        assert len(loads[0]) == 2 and loads[0] == loads[1], path


@pytest.mark.parametrize("who", ["reviewer", "contributor", "stranger"])
def test_only_owners_start_contests(client, world, who):
    login(client, world[who])
    response = client.post(f"/projects/{world['project_id']}/contests", headers=HX)
    assert response.status_code == 403


def test_a_bad_contest_comes_back_inline_with_reasons(client, world):
    login(client, world["owner"])
    response = client.post(
        f"/projects/{world['project_id']}/contests",
        data={"title": "", "prize": "Gift", "rules": "r", "starts_at": "not a date"},
        headers=HX,
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Give the contest a name" in body and 'id="contest-form"' in body
    assert "<html" not in body


def test_starting_and_drawing_over_http(app, client, world):
    login(client, world["owner"])
    created = client.post(
        f"/projects/{world['project_id']}/contests",
        data={
            "title": "Summer",
            "prize": "Vouchers",
            "rules": "Be nice.",
            "starts_at": "2026-01-01T00:00",
            "ends_at": "2026-12-31T23:59",
        },
    )
    assert created.status_code == 303
    early = client.post(f"/contests/{world['contest_id']}/draw")
    assert early.status_code == 409 and b"runs until" in early.data
    with app.app_context():
        db.session.get(Contest, world["contest_id"]).ends_at = utcnow()
        db.session.commit()
    drawn = client.post(f"/contests/{world['contest_id']}/draw")
    assert drawn.status_code == 303
    client.post("/logout")
    page = client.get(f"/contests/{world['contest_id']}").get_data(as_text=True)
    assert world["seed"] in page and "gives the same winners" in page
    data = client.get(f"/contests/{world['contest_id']}/entries.json").get_json()
    assert data["seed"] == world["seed"]
    assert data["winners"] == service.draw_order(data["seed"], data["entries"])[:1]


def test_signing_up_with_a_referral_code_records_the_referrer(app, client, world):
    with app.app_context():
        referrer = db.session.scalar(select(User).where(User.email == world["contributor"]))
        from trove.accounts.service import referral_code_for

        code = referral_code_for(referrer)
        db.session.commit()
        referrer_id = referrer.id
    form = client.get(f"/signup?ref={code}").get_data(as_text=True)
    assert f'value="{code}"' in form
    response = sign_up(client, "friend@example.org", "Friend", "correct horse battery", ref=code)
    assert response.status_code == 303, response.data[:300]
    with app.app_context():
        friend = db.session.scalar(select(User).where(User.email == "friend@example.org"))
        assert friend.referred_by_id == referrer_id


def test_cancelling_over_http_needs_a_reason_and_shows_it_to_everyone(client, world):
    login(client, world["owner"])
    page = client.get(f"/contests/{world['contest_id']}").get_data(as_text=True)
    assert "Cancel this contest" in page
    missing = client.post(f"/contests/{world['contest_id']}/cancel", data={"reason": ""})
    assert missing.status_code == 422 and b"Say why the contest is cancelled" in missing.data
    done = client.post(
        f"/contests/{world['contest_id']}/cancel", data={"reason": "Sponsor withdrew."}
    )
    assert done.status_code == 303
    listing = client.get(f"/projects/{world['project_id']}/contests").get_data(as_text=True)
    assert "Cancelled" in listing
    client.post("/logout")
    login(client, world["contributor"])
    page = client.get(f"/contests/{world['contest_id']}").get_data(as_text=True)
    assert "Sponsor withdrew." in page and "Cancel this contest" not in page
    assert world["seed"] not in page and "never used" in page
