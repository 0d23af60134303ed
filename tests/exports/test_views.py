"""Dataset pages over HTTP: who may see and do what, inline errors, download, the list."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from tests.conftest import login, seed_once
from tests.exports.conftest import build_lab, cut
from tests.factories import make_user
from trove.accounts.models import Role
from trove.audit.models import AuditEvent
from trove.consent.service import request_withdrawal
from trove.exports.models import DatasetDownload
from trove.extensions import db

HX = {"HX-Request": "true"}


@pytest.fixture
def world(app):
    return seed_once(app, _build_world)


def _build_world(app):
    with app.test_request_context("/"):
        lab = build_lab((2, 1))
        version = cut(lab)
        people = {
            "contributor": lab.contributors[0].email,
            "outsider": make_user(Role.LAB_MEMBER).email,
            "reviewer": lab.reviewer.email,
            "steward": lab.steward.email,
            "owner": lab.owner.email,
            "admin": make_user(Role.ADMIN).email,
        }
        return {
            "project_id": lab.project.id,
            "version_id": version.id,
            "people": people,
            "photo_id": lab.photos[0].id,
            "contributor_id": lab.contributors[0].id,
        }


def _as(client, world, who):
    if who != "anonymous":
        login(client, world["people"][who])


TEAM_PAGES = [
    "/projects/{project_id}/datasets",
    "/datasets/{version_id}",
    "/projects/{project_id}/deletion-list.json",
]


@pytest.mark.parametrize("path", TEAM_PAGES)
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("contributor", 403),
        ("outsider", 403),
        ("reviewer", 200),
        ("steward", 200),
        ("owner", 200),
        ("admin", 200),
    ],
)
def test_team_pages_by_role(client, world, path, who, expected):
    _as(client, world, who)
    assert client.get(path.format(**world)).status_code == expected


@pytest.mark.parametrize(
    ("who", "expected"), [("contributor", 403), ("reviewer", 403), ("steward", 200)]
)
def test_only_stewards_download(client, world, who, expected):
    _as(client, world, who)
    with client.get(f"/datasets/{world['version_id']}/download") as response:
        assert response.status_code == expected


@pytest.mark.parametrize("who", ["contributor", "reviewer", "outsider"])
def test_only_stewards_cut(client, world, who):
    _as(client, world, who)
    response = client.post(f"/projects/{world['project_id']}/datasets", headers=HX)
    assert response.status_code == 403


def test_download_streams_the_zip_and_is_recorded(app, client, world):
    _as(client, world, "steward")
    with client.get(f"/datasets/{world['version_id']}/download") as response:
        data = response.get_data()
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"].startswith("private")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "manifest.jsonl" in names
    with app.app_context():
        assert db.session.scalar(select(DatasetDownload.count)) == 1
        assert "dataset.downloaded" in db.session.scalars(select(AuditEvent.action)).all()


def test_bad_cut_requests_come_back_inline_with_the_reason(client, world):
    _as(client, world, "steward")
    response = client.post(
        f"/projects/{world['project_id']}/datasets",
        data={"train_percent": "70", "validation_percent": "10", "test_percent": "10"},
        headers=HX,
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "add up to 100" in body and 'id="cut-form"' in body and "<html" not in body
    bad_date = client.post(
        f"/projects/{world['project_id']}/datasets", data={"approved_from": "soon"}, headers=HX
    )
    assert bad_date.status_code == 422 and "YYYY-MM-DD" in bad_date.get_data(as_text=True)


def test_cutting_over_http_redirects_to_the_version(client, world):
    _as(client, world, "steward")
    response = client.post(f"/projects/{world['project_id']}/datasets", data={"note": "v2"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert b"Version 2" in page.data and b"Ready" in page.data


def test_uses_are_recorded_inline_and_escaped(client, world):
    _as(client, world, "reviewer")
    url = f"/datasets/{world['version_id']}/uses"
    bad = client.post(url, data={"kind": "model", "description": ""}, headers=HX)
    assert bad.status_code == 422 and b"Describe the use" in bad.data
    good = client.post(
        url, data={"kind": "paper", "description": "<script>x</script> study"}, headers=HX
    )
    assert good.status_code == 200
    assert b"&lt;script&gt;x&lt;/script&gt; study" in good.data and b"<script>x" not in good.data


def test_the_deletion_list_json_and_the_confirmation(app, client, world):
    _as(client, world, "steward")
    client.get(f"/datasets/{world['version_id']}/download").close()
    with app.test_request_context("/"):
        from trove.accounts.models import User
        from trove.submissions.models import Submission

        photo = db.session.get(Submission, world["photo_id"])
        request_withdrawal([photo], db.session.get(User, world["contributor_id"]))
        db.session.commit()
        sha = photo.sha256
    listing = client.get(f"/projects/{world['project_id']}/deletion-list.json").get_json()
    assert [p["sha256"] for p in listing["photos"]] == [sha]
    page = client.get(f"/projects/{world['project_id']}/datasets")
    assert b"I have deleted them" in page.data
    assert b"Archive removed" in page.data
    gone = client.get(f"/datasets/{world['version_id']}/download")
    assert gone.status_code == 303  # not served any more
    confirmed = client.post(f"/projects/{world['project_id']}/deletion-list/confirm")
    assert confirmed.status_code == 303
    assert (
        b"I have deleted them" not in client.get(f"/projects/{world['project_id']}/datasets").data
    )
