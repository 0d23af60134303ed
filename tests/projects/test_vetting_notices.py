"""Vetting tells people: admins when a brief awaits them, owners what was decided."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.catalogue import app_speaking_spanish
from tests.conftest import login
from tests.factories import make_project, make_user
from trove.accounts.models import Role
from trove.extensions import db
from trove.notifications.models import Notification
from trove.projects import service

HX = {"HX-Request": "true"}
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}


def _texts(user) -> list[str]:
    return list(
        db.session.scalars(select(Notification.text).where(Notification.user_id == user.id))
    )


def _mail_to(outbox, user) -> list:
    return [m for m in outbox if m["To"] == user.email]


def test_admins_are_told_a_brief_awaits_vetting(app_ctx, outbox):
    admin = make_user(Role.ADMIN)
    retired = make_user(Role.ADMIN, active=False)
    project = make_project(status="draft", title="Door handles")
    owner = project.members[0].user
    outbox.clear()
    service.confirm_rules(project, owner)
    service.submit_project(project, owner)
    db.session.commit()
    (text,) = _texts(admin)
    assert "“Door handles” awaits vetting" in text
    (mail,) = _mail_to(outbox, admin)
    assert mail["Subject"] == "A brief awaits vetting: Door handles"
    assert f"/vetting/{project.id}" in mail.get_content()
    assert _mail_to(outbox, retired) == []


def test_owners_are_told_of_send_back_and_of_publication(app_ctx, outbox):
    admin = make_user(Role.ADMIN)
    sent_back = make_project(status="submitted", title="Door handles")
    published = make_project(status="submitted", title="Shop shelves")
    outbox.clear()
    service.send_back(sent_back, admin, "Say how long photos are kept.")
    service.publish_project(published, admin)
    db.session.commit()
    owner = sent_back.members[0].user
    assert any("sent back" in t and "Say how long photos are kept." in t for t in _texts(owner))
    assert _mail_to(outbox, owner)[0]["Subject"] == "Your brief needs changes: Door handles"
    other = published.members[0].user
    assert any("“Shop shelves” is published" in t for t in _texts(other))
    assert _mail_to(outbox, other)[0]["Subject"] == "Your brief is published: Shop shelves"


def test_an_empty_send_back_redirects_so_a_reload_is_a_get(app, client):
    with app.app_context():
        project = make_project(status="submitted").id
        make_user(Role.ADMIN, email="admin@example.org")
    login(client, "admin@example.org")
    for headers in ({}, BOOSTED):
        response = client.post(
            f"/vetting/{project}/send-back", data={"comment": ""}, headers=headers
        )
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/vetting/{project}")
    page = client.get(f"/vetting/{project}").data
    assert b"cannot be empty" in page
    inline = client.post(f"/vetting/{project}/send-back", data={"comment": ""}, headers=HX)
    assert inline.status_code == 422 and b"cannot be empty" in inline.data


@pytest.fixture
def spanish_app(make_app: Any, tmp_path: Path) -> Iterator[Flask]:
    """Return the app with Spanish for the vetting notices."""
    yield from app_speaking_spanish(
        make_app,
        tmp_path,
        {
            "Your brief needs changes: %(title)s": "Tu ficha necesita cambios: %(title)s",
            "A brief awaits vetting: %(title)s": "Una ficha espera revisión: %(title)s",
        },
    )


def test_vetting_notices_reach_each_person_in_their_own_language(spanish_app, outbox):
    with spanish_app.test_request_context(headers={"Accept-Language": "en"}):
        admin = make_user(Role.ADMIN, locale="es")
        project = make_project(status="draft", title="Door handles")
        owner = project.members[0].user
        owner.locale = "es"
        service.confirm_rules(project, owner)
        service.submit_project(project, owner)
        service.send_back(project, admin, "Say how long photos are kept.")
        db.session.commit()
        assert _mail_to(outbox, admin)[0]["Subject"] == "Una ficha espera revisión: Door handles"
        assert _mail_to(outbox, owner)[0]["Subject"] == "Tu ficha necesita cambios: Door handles"
