"""Sign-in that strangers cannot block, sign-in links, and links that never follow the Host."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login
from tests.factories import make_project, make_user
from trove.accounts.models import Role

FORGED = "evil.example"


def _client_from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


# --- throttling -------------------------------------------------------------------------------


def test_a_stranger_guessing_cannot_lock_the_owner_out(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN_ACCOUNT="2 per minute")
    with app.app_context():
        make_user(email="owner@example.org")
    stranger = _client_from(app, "10.9.9.9")
    wrong = {"email": "owner@example.org", "password": "a guess"}
    codes = [stranger.post("/login", data=wrong).status_code for _ in range(3)]
    assert codes == [422, 422, 429]  # the stranger is slowed down...
    owner = _client_from(app, "10.1.1.1")
    login(owner, "owner@example.org")  # ...the owner, elsewhere, is not


def test_successful_sign_ins_from_one_address_do_not_count(make_app):
    # A campus behind one NAT address: many people sign in, none is refused.
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="2 per minute")
    with app.app_context():
        emails = [make_user(email=f"student{n}@example.org").email for n in range(4)]
    for email in emails:
        login(_client_from(app, "10.0.0.1"), email)


def test_failed_sign_ins_from_one_address_are_still_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="2 per minute")
    client = _client_from(app, "10.0.0.1")
    codes = [
        client.post("/login", data={"email": f"x{n}@example.org", "password": "x"}).status_code
        for n in range(3)
    ]
    assert codes == [422, 422, 429]


# --- sign-in links ----------------------------------------------------------------------------


def test_an_emailed_sign_in_link_signs_in_once(app, client, outbox):
    with app.app_context():
        make_user(email="u@example.org")
    assert b"E-mail me a sign-in link" in client.get("/login").data
    response = client.post("/login/link", data={"email": "U@example.org"})
    assert response.status_code == 200 and b"we have sent it a sign-in link" in response.data
    [message] = outbox
    path = re.search(r"http://localhost(/login/link/\S+)", message.get_content()).group(1)
    assert client.get(path).status_code == 200  # a mail scanner opening it signs nobody in
    assert client.get("/account").status_code == 302
    assert client.post(path).status_code == 303
    assert client.get("/account").status_code == 200
    again = app.test_client()
    assert again.post(path).status_code == 400  # used up


def test_a_sign_in_link_for_an_unknown_address_answers_the_same(client, outbox):
    response = client.post("/login/link", data={"email": "nobody@example.org"})
    assert b"we have sent it a sign-in link" in response.data and outbox == []


def test_a_tampered_sign_in_link_is_refused(app, client):
    assert client.post("/login/link/not-a-token").status_code == 400


# --- links in e-mails -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "headers"),
    [
        ({}, {"Host": FORGED}),
        ({"PROXY_FIX": True}, {"X-Forwarded-Host": FORGED}),
    ],
)
def test_emailed_links_never_come_from_the_request_host(make_app, outbox, settings, headers):
    app = make_app(BASE_URL=None, **settings)  # the default: no base URL configured
    with app.app_context():
        make_user(email="u@example.org")
    app.test_client().post("/password/forgot", data={"email": "u@example.org"}, headers=headers)
    [message] = outbox
    body = message.get_content()
    assert FORGED not in body
    assert "http://127.0.0.1:5000/password/reset/" in body


def test_emailed_links_use_the_configured_base_url(make_app, outbox):
    app = make_app(BASE_URL="https://photos.example.org/")
    with app.app_context():
        make_user(email="u@example.org")
    app.test_client().post(
        "/password/forgot", data={"email": "u@example.org"}, headers={"Host": FORGED}
    )
    assert "https://photos.example.org/password/reset/" in outbox[0].get_content()


def test_smtp_without_a_base_url_refuses_to_start(make_app):
    with pytest.raises(RuntimeError, match="TROVE_BASE_URL is not set"):
        make_app(BASE_URL=None, MAIL_BACKEND="smtp", MAIL_SERVER="smtp.example.org")
    with pytest.raises(RuntimeError, match="must look like"):
        make_app(BASE_URL="photos.example.org")


def test_only_trusted_hosts_are_served(make_app):
    app = make_app(TRUSTED_HOSTS="photos.example.org, localhost")
    client = app.test_client()
    assert client.get("/login", headers={"Host": FORGED}).status_code == 400
    assert (
        client.post(
            "/password/forgot", data={"email": "u@example.org"}, headers={"Host": FORGED}
        ).status_code
        == 400
    )
    assert client.get("/login", headers={"Host": "photos.example.org"}).status_code == 200


# --- who has an account -----------------------------------------------------------------------


def _team_client(app):
    with app.app_context():
        owner = make_user(Role.LAB_MEMBER, email="owner@example.org")
        project_id = make_project(owner).id
        make_user(email="public@example.org", name="Pat Public")
    client = app.test_client()
    login(client, "owner@example.org")
    return client, f"/projects/{project_id}/team"


def test_the_team_form_does_not_say_who_has_an_account(app):
    client, url = _team_client(app)
    contributor = client.post(url, data={"email": "public@example.org", "role": "viewer"})
    unknown = client.post(url, data={"email": "ghost@example.org", "role": "viewer"})
    assert contributor.status_code == unknown.status_code == 422
    assert b"Pat Public" not in contributor.data

    def message(response) -> bytes:
        return re.search(rb'class="error-text"[^>]*>([^<]+)<', response.data).group(1)

    assert message(contributor) == message(unknown)


def test_the_team_form_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_TEAM_ADD="2 per minute")
    client, url = _team_client(app)
    codes = [
        client.post(url, data={"email": f"g{n}@example.org", "role": "viewer"}).status_code
        for n in range(3)
    ]
    assert codes == [422, 422, 429]


def test_guessing_the_current_password_on_the_account_page_is_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="2 per minute")
    with app.app_context():
        make_user(email="u@example.org")
    client = _client_from(app, "10.0.0.5")
    login(client, "u@example.org")
    data = {
        "current_password": "a guess",
        "password": "a new long one",
        "confirm": "a new long one",
    }
    codes = [client.post("/account/password", data=data).status_code for _ in range(3)]
    assert codes == [422, 422, 429]
