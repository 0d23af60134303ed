"""Notifications over HTTP: the list, marking read, the count in the navigation."""

from __future__ import annotations

import json

import pytest

from tests.conftest import login
from tests.factories import make_user
from trove.extensions import db
from trove.notifications import service

HX = {"HX-Request": "true"}


@pytest.fixture
def sam(app):
    """Create Sam with two unread notifications (and Kim with one)."""
    with app.app_context():
        sam = make_user(email="sam@example.org")
        kim = make_user(email="kim@example.org")
        service.notify(sam, "k", "Older news <b>bold</b>", "/projects")
        service.notify(sam, "k", "Newer news", "/posts/1#post-2")
        kim_note = service.notify(kim, "k", "Kim's", "/projects")
        db.session.commit()
        return {"id": sam.id, "kim_note": kim_note.id}


def _ids(app, user_id):
    from sqlalchemy import select

    from trove.notifications.models import Notification

    with app.app_context():
        return db.session.scalars(
            select(Notification.id).where(Notification.user_id == user_id).order_by(Notification.id)
        ).all()


def test_the_list_needs_signing_in(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/notifications/read-all").status_code == 302


def test_the_list_shows_newest_first_escaped_with_the_unread_count(client, sam):
    login(client, "sam@example.org")
    page = client.get("/notifications").data.decode()
    assert page.index("Newer news") < page.index("Older news")
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold" not in page
    assert "Kim&#39;s" not in page and "Kim's" not in page
    assert "2 unread" in page
    assert 'id="nav-unread"' in page and " (2)</span></a>" in page  # in the navigation
    fragment = client.get("/notifications", headers=HX)
    assert b"<html" not in fragment.data and b'id="notifications"' in fragment.data


def test_an_empty_list_says_so(app, client):
    with app.app_context():
        make_user(email="new@example.org")
    login(client, "new@example.org")
    page = client.get("/notifications").data.decode()
    assert "No notifications yet." in page and "Notifications<span id=\"nav-unread\"" in page
    assert "hx-swap=\"outerHTML\"></span></a>" in page  # no count


def test_marking_one_read_with_htmx_rerenders_the_list_and_triggers(app, client, sam):
    login(client, "sam@example.org")
    first, second = _ids(app, sam["id"])
    response = client.post(f"/notifications/{first}/read", headers=HX)
    assert response.status_code == 200 and b"<html" not in response.data
    assert "notifications-changed" in json.loads(response.headers["HX-Trigger"])
    assert b"1 unread" in response.data
    plain = client.post(f"/notifications/{second}/read")
    assert plain.status_code == 303 and plain.headers["Location"] == "/notifications"
    assert b"Nothing unread" in client.get("/notifications").data


def test_opening_a_notification_marks_it_read_and_goes_to_it(app, client, sam):
    login(client, "sam@example.org")
    newest = _ids(app, sam["id"])[-1]
    response = client.post(f"/notifications/{newest}/read", data={"open": "1"})
    assert response.status_code == 303 and response.headers["Location"] == "/posts/1#post-2"
    assert b"1 unread" in client.get("/notifications").data


def test_someone_elses_notification_is_not_found(client, sam):
    login(client, "sam@example.org")
    assert client.post(f"/notifications/{sam['kim_note']}/read").status_code == 404
    assert client.post("/notifications/999999/read").status_code == 404


def test_read_all_marks_only_ones_own(app, client, sam):
    login(client, "sam@example.org")
    response = client.post("/notifications/read-all", headers=HX)
    assert response.status_code == 200
    assert "notifications-changed" in json.loads(response.headers["HX-Trigger"])
    assert b"Nothing unread" in response.data
    plain = client.post("/notifications/read-all")
    assert plain.status_code == 303
    client.post("/logout")
    login(client, "kim@example.org")
    assert b"1 unread" in client.get("/notifications").data


def test_the_list_is_paged_thirty_at_a_time(app, client):
    with app.app_context():
        user = make_user(email="busy@example.org")
        for n in range(31):
            service.notify(user, "k", f"Note number {n:02d}.", "/projects")
        db.session.commit()
    login(client, "busy@example.org")
    first = client.get("/notifications").data.decode()
    assert "Note number 30." in first and "Note number 01." in first
    assert "Note number 00." not in first and "Page 1 of 2" in first
    second = client.get("/notifications?page=2").data.decode()
    assert "Note number 00." in second and "Note number 01." not in second
    assert "There are no more notifications." in client.get("/notifications?page=9").data.decode()


def test_the_navigation_count_can_be_polled_and_stops_for_the_signed_out(client, sam):
    assert client.get("/notifications/count").status_code == 286  # htmx: stop polling
    login(client, "sam@example.org")
    count = client.get("/notifications/count")
    assert count.status_code == 200 and count.headers["Cache-Control"] == "no-store"
    assert count.data.decode().strip().endswith(" (2)</span>")
    assert 'hx-trigger="every 60s, notifications-changed from:body"' in count.data.decode()
    client.post("/notifications/read-all")
    assert "(" not in client.get("/notifications/count").data.decode().split(">", 1)[1]
