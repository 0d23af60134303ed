"""Sign-up by confirmed address: nothing tells a new address from one that has an account."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import TEST_PASSWORD
from tests.factories import make_user
from tests.signup import confirmation_path, sign_up
from trove.accounts.models import SignupRequest, User
from trove.accounts.signup import delete_stale_signups
from trove.extensions import db
from trove.timeutil import utcnow

HX = {"HX-Request": "true"}
CSRF = re.compile(rb'(name="csrf_token" (?:type="hidden" )?value=|"X-CSRFToken": ?)"[^"]*"')


def _users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def _answer(client, email: str, headers: dict[str, str]) -> tuple:
    """Everything a person signing up can observe: the answer, the page after, the session."""
    data = {"email": email, "display_name": "Eve", "password": TEST_PASSWORD}
    response = client.post("/signup", data=data, headers=headers)
    location = response.headers.get("Location") or response.headers.get("HX-Redirect")
    landing = client.get(location) if location else None
    cookies = sorted(
        re.sub(r"^([^=]+)=[^;]*", r"\1", cookie)
        for cookie in response.headers.getlist("Set-Cookie")
    )
    with client.session_transaction() as session:
        keys = sorted(session.keys())
    return (
        response.status_code,
        sorted((k, v) for k, v in response.headers.items() if k != "Set-Cookie"),
        CSRF.sub(b"", response.data),
        cookies,
        keys,
        landing.status_code if landing else None,
        CSRF.sub(b"", landing.data) if landing else None,
        client.get("/account").status_code,  # 302 to sign in: nobody is signed in
    )


@pytest.mark.parametrize("headers", [{}, HX], ids=["form", "htmx"])
def test_new_and_taken_addresses_get_indistinguishable_answers(app, outbox, headers):
    with app.app_context():
        make_user(email="taken@example.org", name="Tara")
    new = _answer(app.test_client(), "new@example.org", headers)
    taken = _answer(app.test_client(), "TAKEN@example.org", headers)
    assert new == taken
    assert new[-1] == 302
    assert _users(app) == 1  # the new address has no account until it is confirmed
    assert [m["To"] for m in outbox] == ["new@example.org", "taken@example.org"]
    assert "/signup/confirm/" in outbox[0].get_content()
    assert "tried to create" in outbox[1].get_content()
    assert "/signup/confirm/" not in outbox[1].get_content()


def test_the_mailed_link_asks_the_password_then_creates_the_account_and_signs_in(app, client):
    client.post(
        "/signup?next=/projects",
        data={"email": "sam@example.org", "display_name": "Sam", "password": TEST_PASSWORD},
    )
    path = confirmation_path("sam@example.org")
    page = client.get(path)  # a mail scanner opening the link creates nothing
    assert page.status_code == 200 and b"The password you chose" in page.data
    assert _users(app) == 0
    wrong = client.post(path, data={"password": "not the one I chose"}, headers=HX)
    assert wrong.status_code == 422 and b"not the password you chose" in wrong.data
    assert b"<html" not in wrong.data
    assert _users(app) == 0
    done = client.post(path, data={"password": TEST_PASSWORD})
    assert (done.status_code, done.headers["Location"]) == (303, "/projects")
    assert b"Welcome to Test Lab, Sam." in client.get("/projects").data
    assert client.get("/account").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "sam@example.org"))
        assert user.display_name == "Sam" and user.password_hash.startswith("$argon2id$")


def test_used_expired_and_unknown_links_answer_a_clear_4xx(app, client):
    sign_up(client, "sam@example.org")
    used = confirmation_path("sam@example.org")
    again = client.post(used, data={"password": TEST_PASSWORD})
    assert again.status_code == 410 and b"already been used" in again.data
    assert client.get(used).status_code == 410
    client.post(
        "/signup",
        data={"email": "late@example.org", "display_name": "Late", "password": TEST_PASSWORD},
    )
    with app.app_context():
        pending = db.session.scalar(
            select(SignupRequest).where(SignupRequest.email == "late@example.org")
        )
        pending.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    late = confirmation_path("late@example.org")
    expired = client.post(late, data={"password": TEST_PASSWORD})
    assert expired.status_code == 410 and b"has expired" in expired.data
    unknown = client.get("/signup/confirm/not-a-token")
    assert unknown.status_code == 404 and b"not valid" in unknown.data
    assert _users(app) == 1


def test_of_two_sign_ups_for_one_address_the_first_confirmed_wins(app, client, outbox):
    for name in ("First", "Second"):
        client.post(
            "/signup",
            data={"email": "two@example.org", "display_name": name, "password": TEST_PASSWORD},
        )
    paths = [re.search(r"(/signup/confirm/\S+)", m.get_content()).group(1) for m in outbox]
    assert client.post(paths[1], data={"password": TEST_PASSWORD}).status_code == 303
    client.post("/logout")
    assert client.post(paths[0], data={"password": TEST_PASSWORD}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(User.display_name)) == "Second"


def test_stale_sign_ups_are_deleted_by_the_sweep(app, client):
    for email in ("old@example.org", "fresh@example.org"):
        client.post(
            "/signup", data={"email": email, "display_name": "X", "password": TEST_PASSWORD}
        )
    with app.app_context():
        old = db.session.scalar(select(SignupRequest).where(SignupRequest.email.like("old%")))
        old.expires_at = utcnow() - timedelta(days=8)
        db.session.commit()
        delete_stale_signups()
        db.session.commit()
        assert db.session.scalars(select(SignupRequest.email)).all() == ["fresh@example.org"]
