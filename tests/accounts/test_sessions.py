"""Server-side sessions, account changes and deactivation (issue 14: trust)."""

from __future__ import annotations

import re
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from tests.conftest import TEST_PASSWORD, login
from tests.factories import make_user
from trove.accounts.models import Role, User, UserSession
from trove.audit.models import AuditEvent
from trove.extensions import db
from trove.notifications.models import Notification
from trove.timeutil import utcnow

HX = {"HX-Request": "true"}


def _link(message, path: str) -> str:
    match = re.search(rf"http://localhost({re.escape(path)}[^\s]+)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def _copy_cookies(source: FlaskClient, target: FlaskClient) -> None:
    for cookie in source._cookies.values():  # noqa: SLF001 - the stolen cookie, as is
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- sessions ---------------------------------------------------------------------------------


def test_a_copied_session_cookie_stops_working_after_sign_out(app, client):
    with app.app_context():
        make_user(email="u@example.org")
    login(client, "u@example.org")
    thief = app.test_client()
    _copy_cookies(client, thief)
    assert _signed_in(thief)
    client.post("/logout")
    assert not _signed_in(thief)


def test_the_account_page_lists_sessions_and_signs_out_one(app):
    with app.app_context():
        make_user(email="u@example.org")
    phone, laptop = app.test_client(), app.test_client()
    login(phone, "u@example.org")
    laptop.post(
        "/login",
        data={"email": "u@example.org", "password": TEST_PASSWORD},
        headers={"User-Agent": "LaptopBrowser/1.0"},
    )
    page = phone.get("/account").data
    assert b"LaptopBrowser/1.0" in page and b"this browser" in page
    with app.app_context():
        laptop_id = db.session.scalar(
            select(UserSession.id).where(UserSession.user_agent == "LaptopBrowser/1.0")
        )
    assert phone.post(f"/account/sessions/{laptop_id}/end").status_code == 303
    assert not _signed_in(laptop) and _signed_in(phone)
    # Someone else's session is not yours to end.
    other = app.test_client()
    with app.app_context():
        make_user(email="v@example.org")
    login(other, "v@example.org")
    with app.app_context():
        phone_id = db.session.scalar(select(UserSession.id).order_by(UserSession.id))
    other.post(f"/account/sessions/{phone_id}/end")
    assert _signed_in(phone)


def test_sign_out_everywhere_ends_every_session(app):
    with app.app_context():
        make_user(email="u@example.org")
    one, two = app.test_client(), app.test_client()
    login(one, "u@example.org")
    login(two, "u@example.org")
    assert one.post("/account/sessions/end-all").status_code == 303
    assert not _signed_in(one) and not _signed_in(two)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_last_seen_is_written_only_every_few_minutes(app, client):
    with app.app_context():
        make_user(email="u@example.org")
    login(client, "u@example.org")

    def set_last_seen(ago: timedelta) -> None:
        with app.app_context():
            db.session.execute(update(UserSession).values(last_seen_at=utcnow() - ago))
            db.session.commit()

    def last_seen():
        with app.app_context():
            return db.session.scalar(select(UserSession.last_seen_at))

    set_last_seen(timedelta(minutes=1))
    before = last_seen()
    client.get("/account")
    assert last_seen() == before  # recent enough: no write
    set_last_seen(timedelta(minutes=30))
    client.get("/account")
    assert utcnow() - last_seen() < timedelta(minutes=5)


def test_signing_in_rotates_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_user(email="u@example.org")
    client = app.test_client()
    page = client.get("/login").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page
    )
    assert token, page
    with client.session_transaction() as session:
        before = session["csrf_token"]
    response = client.post(
        "/login",
        data={"email": "u@example.org", "password": TEST_PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 303
    with client.session_transaction() as session:
        assert session.get("csrf_token") != before


def test_signing_in_through_a_boosted_form_reloads_the_whole_page(app, client):
    # The page's hx-headers carry the old CSRF token; only a full load picks up the new one.
    with app.app_context():
        make_user(email="u@example.org")
    boosted = {**HX, "HX-Boosted": "true"}
    response = client.post(
        "/login", data={"email": "u@example.org", "password": TEST_PASSWORD}, headers=boosted
    )
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/"


# --- password and e-mail address --------------------------------------------------------------


def test_changing_the_password_needs_the_old_one_and_ends_other_sessions(app, client):
    with app.app_context():
        make_user(email="u@example.org")
    other = app.test_client()
    login(other, "u@example.org")
    login(client, "u@example.org")
    new = {"password": "a new long password", "confirm": "a new long password"}
    wrong = client.post("/account/password", data={"current_password": "nope", **new}, headers=HX)
    assert wrong.status_code == 422 and b"not your current password" in wrong.data
    assert b"<html" not in wrong.data and _signed_in(other)
    ok = client.post("/account/password", data={"current_password": TEST_PASSWORD, **new})
    assert ok.status_code == 303
    assert _signed_in(client) and not _signed_in(other)
    login(app.test_client(), "u@example.org", "a new long password")


def test_changing_the_email_is_confirmed_from_the_new_address(app, client, outbox):
    with app.app_context():
        make_user(email="old@example.org")
    other = app.test_client()
    login(other, "old@example.org")
    login(client, "old@example.org")
    wrong = client.post("/account/email", data={"email": "new@example.org", "password": "x"})
    assert wrong.status_code == 422 and outbox == []
    response = client.post(
        "/account/email", data={"email": "New@example.org", "password": TEST_PASSWORD}
    )
    assert response.status_code == 303
    assert sorted(m["To"] for m in outbox) == ["new@example.org", "old@example.org"]
    [to_new] = [m for m in outbox if m["To"] == "new@example.org"]
    path = _link(to_new, "/account/email/")
    with app.app_context():
        assert db.session.scalar(select(User.email)) == "old@example.org"  # not yet
    assert client.get(path).status_code == 200  # opening the link changes nothing yet
    outbox.clear()
    assert client.post(path).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(User.email)) == "new@example.org"
    assert [m["To"] for m in outbox] == ["old@example.org"]  # the old address is told
    assert _signed_in(client) and not _signed_in(other)
    assert client.post(path).status_code == 400  # the link works once
    login(app.test_client(), "new@example.org")


def test_asking_to_move_to_a_taken_address_sends_it_no_link(app, client, outbox):
    with app.app_context():
        make_user(email="u@example.org")
        make_user(email="taken@example.org")
    login(client, "u@example.org")
    data = {"email": "taken@example.org", "password": TEST_PASSWORD}
    assert client.post("/account/email", data=data).status_code == 303  # the same answer
    assert [m["To"] for m in outbox] == ["u@example.org"]


# --- PayPal address ---------------------------------------------------------------------------


def test_changing_the_paypal_address_needs_the_password_and_tells_the_owner(app, client, outbox):
    with app.app_context():
        user_id = make_user(email="u@example.org", paypal_email="old@pay.example").id
    login(client, "u@example.org")
    data = {"display_name": "U", "paypal_email": "thief@pay.example", "country": ""}
    refused = client.post("/account", data=data, headers=HX)
    assert refused.status_code == 422 and b"Enter your password" in refused.data
    with app.app_context():
        assert db.session.get(User, user_id).paypal_email == "old@pay.example"
    assert outbox == []
    ok = client.post("/account", data={**data, "password": TEST_PASSWORD})
    assert ok.status_code == 303
    with app.app_context():
        assert db.session.get(User, user_id).paypal_email == "thief@pay.example"
        notes = db.session.scalars(select(Notification.kind)).all()
    assert notes == ["account.paypal"]
    assert sorted(m["To"] for m in outbox) == ["old@pay.example", "u@example.org"]
    # Other fields need no password.
    outbox.clear()
    renamed = client.post("/account", data={**data, "display_name": "Renamed"})
    assert renamed.status_code == 303 and outbox == []


# --- deactivation -----------------------------------------------------------------------------


def test_an_admin_deactivates_and_reactivates_an_account(app, client):
    with app.app_context():
        make_user(Role.ADMIN, email="admin@example.org")
        user_id = make_user(email="u@example.org").id
    victim = app.test_client()
    login(victim, "u@example.org")
    login(client, "admin@example.org")
    assert client.post(f"/admin/users/{user_id}/deactivate").status_code == 303
    assert not _signed_in(victim)
    refused = victim.post("/login", data={"email": "u@example.org", "password": TEST_PASSWORD})
    assert refused.status_code == 422 and b"deactivated" in refused.data
    wrong = victim.post("/login", data={"email": "u@example.org", "password": "a wrong one"})
    assert b"deactivated" not in wrong.data  # said only to whoever knows the password
    with app.app_context():
        assert db.session.get(User, user_id).email == "u@example.org"  # nothing deleted
    assert b"deactivated" in client.get("/admin/users").data
    assert client.post(f"/admin/users/{user_id}/reactivate").status_code == 303
    login(victim, "u@example.org")
    assert [e.target_id for e in _events(app, "account.deactivated")] == [user_id]
    assert [e.target_id for e in _events(app, "account.reactivated")] == [user_id]


def test_only_admins_deactivate_and_not_themselves(app, client):
    with app.app_context():
        admin_id = make_user(Role.ADMIN, email="admin@example.org").id
        make_user(Role.LAB_MEMBER, email="lab@example.org")
    login(client, "lab@example.org")
    assert client.post(f"/admin/users/{admin_id}/deactivate").status_code == 403
    login(client, "admin@example.org")
    client.post(f"/admin/users/{admin_id}/deactivate")
    assert _signed_in(client)
    with app.app_context():
        assert db.session.get(User, admin_id).active
