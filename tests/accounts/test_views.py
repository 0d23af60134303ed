"""Accounts over HTTP: sign-up, sign-in, sign-out, reset, invitations, profile."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import TEST_PASSWORD, login
from tests.factories import make_user
from tests.signup import confirmation_path, sign_up
from trove.accounts.models import Invitation, Role, User
from trove.audit.models import AuditEvent
from trove.extensions import db

HX = {"HX-Request": "true"}


def _link(message, path: str) -> str:
    body = message.get_content()
    match = re.search(rf"http://localhost({re.escape(path)}[^\s]+)", body)
    assert match, body
    return match.group(1)


def test_signup_creates_contributor_and_signs_in(app, client):
    response = sign_up(client, "New@Example.org", "New")
    assert response.status_code == 303
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new@example.org"))
        assert user.role is Role.CONTRIBUTOR
        assert user.password_hash.startswith("$argon2id$")
    assert b"Sign out" in client.get("/").data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"email": "not-an-email", "display_name": "X", "password": TEST_PASSWORD},
            b"Enter an e-mail address like",
        ),
        (
            {"email": "a@example.org", "display_name": "X", "password": "short"},
            b"Use between 10 and 256 characters",
        ),
        (
            {"email": "a@example.org", "display_name": "", "password": TEST_PASSWORD},
            b"Enter the name others will see",
        ),
        (
            {"email": "a@example.org", "display_name": "x" * 100_000, "password": TEST_PASSWORD},
            b"Keep it under 80 characters",
        ),
    ],
)
def test_signup_rejects_bad_input_inline(client, data, message):
    response = client.post("/signup", data=data, headers=HX)
    assert response.status_code == 422
    assert message in response.data
    assert b"<html" not in response.data  # a fragment, not a page


def test_signup_with_a_taken_address_answers_like_any_and_emails_the_owner(app, client, outbox):
    with app.app_context():
        make_user(email="taken@example.org")
    fresh = client.post(
        "/signup",
        data={"email": "fresh@example.org", "display_name": "X", "password": TEST_PASSWORD},
    )
    client.post(confirmation_path("fresh@example.org"), data={"password": TEST_PASSWORD})
    client.post("/logout")
    outbox.clear()
    taken = client.post(
        "/signup",
        data={"email": "TAKEN@example.org", "display_name": "X", "password": TEST_PASSWORD},
    )
    assert (taken.status_code, taken.headers["Location"]) == (303, fresh.headers["Location"])
    assert b"already" not in taken.data
    assert [m["To"] for m in outbox] == ["taken@example.org"]
    assert "tried to create" in outbox[0].get_content()
    assert client.get("/account").status_code == 302  # nobody got into that account
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_login_wrong_password_is_422_with_message(app, client):
    with app.app_context():
        make_user(email="u@example.org")
    response = client.post("/login", data={"email": "u@example.org", "password": "wrong-one!"})
    assert response.status_code == 422
    assert b"do not match an account" in response.data


def test_login_follows_only_local_next(app, client):
    with app.app_context():
        make_user(email="u@example.org")
    ok = client.post(
        "/login", data={"email": "u@example.org", "password": TEST_PASSWORD, "next": "/account"}
    )
    assert ok.headers["Location"] == "/account"
    client.post("/logout")
    for evil in ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]:
        response = client.post(
            "/login", data={"email": "u@example.org", "password": TEST_PASSWORD, "next": evil}
        )
        assert response.headers["Location"] == "/", evil
        client.post("/logout")


def test_logout_is_post_only(app, client):
    with app.app_context():
        make_user(email="u@example.org")
    login(client, "u@example.org")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 303
    assert client.get("/account").status_code == 302


def test_password_reset_by_emailed_link(app, client, outbox):
    with app.app_context():
        make_user(email="u@example.org")
    response = client.post("/password/forgot", data={"email": "u@example.org"})
    assert b"we have sent it a link" in response.data
    assert len(outbox) == 1
    path = _link(outbox[0], "/password/reset/")
    assert client.get(path).status_code == 200
    response = client.post(
        path, data={"password": "a brand new secret", "confirm": "a brand new secret"}
    )
    assert response.status_code == 303
    client.post("/logout")
    login(client, "u@example.org", "a brand new secret")
    # The link works once.
    assert client.get(path).status_code == 400


def test_password_reset_for_unknown_email_says_the_same_and_sends_nothing(client, outbox):
    response = client.post("/password/forgot", data={"email": "nobody@example.org"})
    assert b"we have sent it a link" in response.data
    assert outbox == []


def test_password_change_ends_other_sessions(app, client):
    with app.app_context():
        user_id = make_user(email="u@example.org").id
    other = app.test_client()
    login(other, "u@example.org")
    assert other.get("/account").status_code == 200
    with app.app_context():
        from trove.accounts.service import set_password

        set_password(db.session.get(User, user_id), "another password!")
        db.session.commit()
    assert other.get("/account").status_code == 302


def test_admin_invites_lab_member_who_accepts(app, client, outbox):
    with app.app_context():
        make_user(Role.ADMIN, email="admin@example.org")
    login(client, "admin@example.org")
    response = client.post("/admin/invitations", data={"email": "lab@example.org"})
    assert response.status_code == 303
    path = _link(outbox[-1], "/invitations/")
    newcomer = app.test_client()
    page = newcomer.get(path)
    assert b"Create my lab account" in page.data
    response = newcomer.post(path, data={"display_name": "Lab Person", "password": TEST_PASSWORD})
    assert response.status_code == 303
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "lab@example.org"))
        assert user.role is Role.LAB_MEMBER
        invitation = db.session.scalar(select(Invitation))
        assert invitation.status == "accepted"
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"invitation.created", "invitation.accepted"} <= actions
    # Used once.
    assert app.test_client().get(path).status_code == 404


def test_existing_contributor_accepts_invitation_after_signing_in(app, client, outbox):
    with app.app_context():
        make_user(Role.ADMIN, email="admin@example.org")
        make_user(email="c@example.org")
    login(client, "admin@example.org")
    client.post("/admin/invitations", data={"email": "c@example.org"})
    path = _link(outbox[-1], "/invitations/")
    other = app.test_client()
    response = other.post(path)
    assert response.status_code == 303 and "/login" in response.headers["Location"]
    login(other, "c@example.org")
    assert other.post(path).status_code == 303
    with app.app_context():
        assert (
            db.session.scalar(select(User.role).where(User.email == "c@example.org"))
            is Role.LAB_MEMBER
        )


def test_invitation_for_someone_else_is_refused(app, client, outbox):
    with app.app_context():
        make_user(Role.ADMIN, email="admin@example.org")
        make_user(email="c@example.org")
        make_user(email="d@example.org")
    login(client, "admin@example.org")
    client.post("/admin/invitations", data={"email": "c@example.org"})
    path = _link(outbox[-1], "/invitations/")
    other = app.test_client()
    login(other, "d@example.org")
    response = other.post(path)
    assert response.status_code == 303  # sent to sign in as the invited address
    with app.app_context():
        assert (
            db.session.scalar(select(User.role).where(User.email == "d@example.org"))
            is Role.CONTRIBUTOR
        )


def test_profile_update_via_htmx_returns_fragment(app, client):
    with app.app_context():
        make_user(email="u@example.org")
    login(client, "u@example.org")
    response = client.post(
        "/account",
        data={
            "display_name": "Snapper",
            "paypal_email": "PAY@example.org",
            "country": "GB",
            "password": TEST_PASSWORD,  # a new PayPal address needs it
        },
        headers=HX,
    )
    assert response.status_code == 200
    assert b"Your profile is saved" in response.data and b"<html" not in response.data
    assert "HX-Request" in response.headers["Vary"]
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "u@example.org"))
        assert (user.display_name, user.paypal_email, user.country) == (
            "Snapper",
            "pay@example.org",
            "GB",
        )


def test_profile_rejects_unknown_country_and_bad_paypal(app, client):
    with app.app_context():
        make_user(email="u@example.org")
    login(client, "u@example.org")
    response = client.post(
        "/account", data={"display_name": "S", "paypal_email": "nope", "country": "XX"}, headers=HX
    )
    assert response.status_code == 422
    assert b"Choose a country from the list" in response.data
    assert b"Enter an e-mail address like" in response.data


def test_markup_in_display_name_is_escaped(app, client):
    with app.app_context():
        make_user(Role.ADMIN, email="admin@example.org")
        make_user(email="x@example.org", name='<script>alert("x")</script>')
    login(client, "admin@example.org")
    page = client.get("/admin/users").data
    assert b'<script>alert("x")</script>' not in page
    assert b"&lt;script&gt;" in page


def test_profile_change_is_audited_against_the_user(app, client):
    with app.app_context():
        user_id = make_user(email="u@example.org").id
    login(client, "u@example.org")
    data = {"display_name": "S", "paypal_email": "p@example.org", "password": TEST_PASSWORD}
    client.post("/account", data=data)
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "account.paypal_email_changed")
        )
        assert (event.target_type, event.target_id, event.actor_id) == ("user", user_id, user_id)


def test_the_country_list_speaks_the_account_language(app, client):
    with app.app_context():
        make_user(email="lea@example.org", locale="fr")
        make_user(email="ed@example.org")
    login(client, "lea@example.org")
    assert b'<option value="DE">Allemagne</option>' in client.get("/account").data
    client.post("/logout")
    login(client, "ed@example.org")
    assert b'<option value="DE">Germany</option>' in client.get("/account").data
