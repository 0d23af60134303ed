"""Notifications without HTTP: notify, counts, marking read."""

from __future__ import annotations

import pytest

from tests.factories import make_user
from trove.extensions import db
from trove.notifications import service
from trove.notifications.models import Notification


@pytest.fixture
def req(app_ctx):
    with app_ctx.test_request_context("/"):
        yield app_ctx
        db.session.rollback()


def test_notify_adds_a_row_without_email_by_default(req, outbox):
    user = make_user()
    note = service.notify(user, "test.kind", "Something happened.", "/projects")
    db.session.commit()
    assert db.session.get(Notification, note.id).text == "Something happened."
    assert outbox == []


def test_notify_emails_an_active_user_after_commit(req, outbox):
    user = make_user(email="sam@example.org", name="Sam")
    service.notify(user, "test.kind", "Your photo was approved.", "/p/1#x", email_subject="News")
    assert outbox == []  # nothing before the commit
    db.session.commit()
    assert [m["Subject"] for m in outbox] == ["News"]
    body = outbox[0].get_content()
    assert "Hello Sam," in body and "Your photo was approved." in body
    assert "http://localhost/p/1#x" in body


def test_notify_uses_base_url_for_links_when_set(req, outbox):
    req.config["BASE_URL"] = "https://trove.example.org/"
    service.notify(make_user(), "k", "T", "/x", email_subject="S")
    db.session.commit()
    assert "https://trove.example.org/x" in outbox[0].get_content()


def test_an_inactive_user_gets_no_email(req, outbox):
    user = make_user(active=False)
    service.notify(user, "k", "T", "/x", email_subject="S")
    db.session.commit()
    assert outbox == []
    assert service.unread_count(user) == 1


@pytest.mark.parametrize(
    "url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "relative"]
)
def test_notifications_link_only_into_the_site(req, url):
    with pytest.raises(ValueError, match="local paths"):
        service.notify(make_user(), "k", "T", url)


def test_counts_and_marking_read_touch_only_ones_own(req):
    sam, kim = make_user(), make_user()
    first = service.notify(sam, "k", "one", "/a")
    service.notify(sam, "k", "two", "/b")
    service.notify(kim, "k", "three", "/c")
    assert service.unread_count(sam) == 2
    service.mark_read(sam, first)
    assert service.unread_count(sam) == 1
    assert service.mark_all_read(sam) == 1
    assert service.unread_count(sam) == 0
    assert service.unread_count(kim) == 1
    assert service.find_notification(kim, first.id) is None


def test_long_texts_are_cut(req):
    note = service.notify(make_user(), "k", "x" * 5000, "/a")
    assert len(note.text) == service.TEXT_MAX and note.text.endswith("…")


def test_an_email_subject_stays_on_one_line(req, outbox):
    service.notify(make_user(), "k", "T", "/x", email_subject="Reply on\nBcc: evil@example.org")
    db.session.commit()
    assert outbox[0]["Subject"] == "Reply on Bcc: evil@example.org"
    assert outbox[0]["Bcc"] is None
