"""Who may open which account and admin page."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.factories import make_user
from trove.accounts.models import Role

ADMIN_PAGES = ["/admin/", "/admin/jobs", "/admin/invitations", "/admin/users"]


@pytest.mark.parametrize("url", ADMIN_PAGES)
@pytest.mark.parametrize(
    ("role", "expected"),
    [(None, 302), (Role.CONTRIBUTOR, 403), (Role.LAB_MEMBER, 403), (Role.ADMIN, 200)],
)
def test_admin_pages_by_role(app, client, url, role, expected):
    if role is not None:
        with app.app_context():
            make_user(role, email="who@example.org")
        login(client, "who@example.org")
    assert client.get(url).status_code == expected


@pytest.mark.parametrize(
    "url", ["/admin/invitations", "/admin/users/1/role", "/admin/jobs/1/retry"]
)
def test_admin_actions_refused_to_contributors(app, client, url):
    with app.app_context():
        make_user(email="who@example.org")
    login(client, "who@example.org")
    assert client.post(url, data={"email": "x@example.org", "role": "admin"}).status_code == 403


def test_htmx_request_without_session_gets_login_redirect(client):
    response = client.get("/account", headers={"HX-Request": "true"})
    assert response.status_code in (302, 401)


def test_last_admin_cannot_be_demoted(app, client):
    with app.app_context():
        admin = make_user(Role.ADMIN, email="admin@example.org")
        admin_id = admin.id
    login(client, "admin@example.org")
    client.post(f"/admin/users/{admin_id}/role", data={"role": "contributor"})
    assert client.get("/admin/").status_code == 200
