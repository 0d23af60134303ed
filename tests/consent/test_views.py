"""Consent pages over HTTP: a photo's page, withdrawing, my data, deleting the account."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.conftest import login, seed_once
from tests.exports.conftest import build_lab, cut
from tests.factories import make_user
from trove.accounts.models import Role
from trove.extensions import db
from trove.submissions.models import Submission, SubmissionStatus


@pytest.fixture
def world(app):
    return seed_once(app, _build_world)


def _build_world(app):
    with app.test_request_context("/"):
        lab = build_lab((2,))
        version = cut(lab)
        from trove.exports.service import add_use

        add_use(version, lab.reviewer, "model", "Empty-shelf detector")
        db.session.commit()
        return {
            "project_id": lab.project.id,
            "photos": [p.id for p in lab.photos],
            "contributor": lab.contributors[0].email,
            "reviewer": lab.reviewer.email,
            "admin": make_user(Role.ADMIN).email,
            "stranger": make_user().email,
        }


def test_a_photo_page_shows_versions_uses_and_the_consent_receipt(client, world):
    login(client, world["contributor"])
    page = client.get(f"/me/photos/{world['photos'][0]}").get_data(as_text=True)
    assert "Dataset version 1" in page and "Empty-shelf detector" in page
    assert "Consent receipt" in page and "Licence fingerprint" in page


@pytest.mark.parametrize("who", ["stranger", "reviewer", "admin"])
def test_nobody_else_sees_a_contributors_photo_page(client, world, who):
    login(client, world[who])
    assert client.get(f"/me/photos/{world['photos'][0]}").status_code == 404


def test_withdrawing_takes_two_steps_and_hides_the_photo_from_the_team(app, client, world):
    photo_id = world["photos"][0]
    login(client, world["reviewer"])
    with client.get(f"/submissions/{photo_id}/image/320") as image:
        assert image.status_code == 200
    client.post("/logout")
    login(client, world["contributor"])
    confirm = client.get(f"/me/withdraw?photo={photo_id}")
    assert confirm.status_code == 200 and b"What happens" in confirm.data
    with app.app_context():
        assert db.session.get(Submission, photo_id).status is SubmissionStatus.APPROVED
    done = client.post("/me/withdraw", data={"photo": str(photo_id)})
    assert done.status_code == 303
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "You withdrew this photo" in page and "Its earning stays payable" in page
    with client.get(f"/submissions/{photo_id}/image/320") as image:
        assert image.status_code == 200  # still mine
    client.post("/logout")
    login(client, world["reviewer"])
    assert client.get(f"/submissions/{photo_id}/image/320").status_code == 404
    assert client.get(f"/submissions/{photo_id}/original").status_code == 404


def test_withdrawing_someone_elses_photo_does_nothing(app, client, world):
    login(client, world["stranger"])
    response = client.post("/me/withdraw", data={"photo": str(world["photos"][0])})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Submission, world["photos"][0]).status is SubmissionStatus.APPROVED


def test_withdraw_all_from_the_brief_page(app, client, world):
    login(client, world["contributor"])
    brief = client.get(f"/projects/{world['project_id']}").get_data(as_text=True)
    assert "You have 2 photos in this project" in brief
    confirm = client.get(f"/me/withdraw?project={world['project_id']}")
    assert b"Withdraw 2 photos" in confirm.data
    client.post("/me/withdraw", data={"project": str(world["project_id"])})
    with app.app_context():
        statuses = {db.session.get(Submission, i).status for i in world["photos"]}
    assert statuses == {SubmissionStatus.WITHDRAWN}


def test_nothing_selected_is_a_clear_message(client, world):
    login(client, world["contributor"])
    response = client.get("/me/withdraw", follow_redirects=True)
    assert b"Choose at least one photo" in response.data


def test_my_data_downloads_as_a_zip(client, world):
    login(client, world["contributor"])
    with client.get("/me/data") as response:
        data = response.get_data()
    assert response.status_code == 200 and response.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert {"profile.json", "photos.json", "earnings.json", "payments.json"} <= set(names)
    assert sum(n.startswith("photos/") for n in names) == 2


def test_deleting_the_account_reports_errors_inline_then_signs_out(client, world):
    login(client, world["contributor"])
    form = client.get("/me/delete").get_data(as_text=True)
    assert "You are still owed" in form
    no_choice = client.post("/me/delete", data={"password": "correct horse battery"})
    assert no_choice.status_code == 422 and b"Choose what happens" in no_choice.data
    no_forfeit = client.post(
        "/me/delete", data={"password": "correct horse battery", "photos": "keep"}
    )
    assert no_forfeit.status_code == 409 and b"give it up" in no_forfeit.data
    done = client.post(
        "/me/delete",
        data={"password": "correct horse battery", "photos": "withdraw", "forfeit": "on"},
    )
    assert done.status_code == 303
    assert client.get("/me/photos").status_code == 302  # signed out
    assert (
        client.post(
            "/login", data={"email": world["contributor"], "password": "correct horse battery"}
        ).status_code
        != 303
    )
