"""Wizard step 3: example photos are stripped, shown on the brief, and removed with their files."""

from __future__ import annotations

import io

import piexif
from PIL import Image

from tests.conftest import login
from tests.factories import make_project, make_user
from tests.media import samples
from trove.accounts.models import Role
from trove.extensions import db
from trove.files import get_storage
from trove.projects.models import Project

HX = {"HX-Request": "true"}


def _draft(app) -> tuple[int, str]:
    with app.app_context():
        owner = make_user(Role.LAB_MEMBER, email="owner@example.org")
        project = make_project(owner, status="draft")
        return project.id, owner.email


def _add(client, project_id: int, data: bytes, caption: str = "A full shelf") -> object:
    return client.post(
        f"/projects/{project_id}/examples",
        data={"caption": caption, "kind": "good", "image": (io.BytesIO(data), "shelf.jpg")},
        headers=HX,
        content_type="multipart/form-data",
    )


def _keys(app, project_id: int) -> list[str]:
    with app.app_context():
        return [example.storage_key for example in db.session.get(Project, project_id).examples]


def test_an_example_is_stored_stripped_and_served_on_the_brief(app, client):
    project_id, email = _draft(app)
    login(client, email)
    gps = samples.jpeg(exif=samples.exif_bytes())
    assert _add(client, project_id, gps).status_code == 204  # htmx redirect to the step
    [key] = _keys(app, project_id)
    with app.app_context():
        stored = get_storage().original_path(key).read_bytes()
        example_id = db.session.get(Project, project_id).examples[0].id
    assert "GPS" not in piexif.load(stored) or not piexif.load(stored)["GPS"]
    with client.get(f"/projects/{project_id}/examples/{example_id}.jpg") as served:
        assert served.status_code == 200
        assert Image.open(io.BytesIO(served.data)).format == "JPEG"


def test_a_file_that_is_not_a_photo_is_refused_inline(app, client):
    project_id, email = _draft(app)
    login(client, email)
    response = _add(client, project_id, b"just some text, not a picture")
    assert response.status_code == 422
    assert b"This file is not a JPEG, PNG, WebP or HEIC image." in response.data
    assert _keys(app, project_id) == []


def test_removing_an_example_deletes_its_file_and_thumbnail(app, client):
    project_id, email = _draft(app)
    login(client, email)
    _add(client, project_id, samples.jpeg())
    [key] = _keys(app, project_id)
    with app.app_context():
        storage = get_storage()
        example_id = db.session.get(Project, project_id).examples[0].id
        files = [storage.original_path(key), storage.derived_path(key, 1280)]
    assert all(path.is_file() for path in files)
    response = client.post(f"/projects/{project_id}/examples/{example_id}/delete", headers=HX)
    assert response.status_code in (200, 204, 303)
    assert _keys(app, project_id) == []
    assert not any(path.exists() for path in files)


def test_a_file_shared_by_two_examples_survives_removing_one(app, client):
    project_id, email = _draft(app)
    login(client, email)
    photo = samples.jpeg()
    _add(client, project_id, photo, "First")
    _add(client, project_id, photo, "Same picture again")
    first, second = _keys(app, project_id)
    assert first == second  # stored by content
    with app.app_context():
        example_id = db.session.get(Project, project_id).examples[0].id
        path = get_storage().original_path(first)
    client.post(f"/projects/{project_id}/examples/{example_id}/delete", headers=HX)
    assert path.is_file()
