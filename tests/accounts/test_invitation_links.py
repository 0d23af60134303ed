"""With the ``log`` mail backend, the admin copies invitation links from the list."""

from __future__ import annotations

import re

from tests.conftest import login
from tests.factories import make_user
from trove.accounts.models import Role

LINK = re.compile(
    r'<input id="invitation-link-(\d+)" type="text" value="(http://localhost/invitations/[^"]+)" '
    r"readonly>"
)


def _admin_client(app):
    with app.app_context():
        make_user(Role.ADMIN, email="admin@example.org")
    client = app.test_client()
    login(client, "admin@example.org")
    return client


def test_logged_mail_offers_the_link_to_copy(make_app):
    app = make_app(MAIL_BACKEND="log")
    client = _admin_client(app)
    page = client.get("/admin/invitations").get_data(as_text=True)
    assert 'id="mail-is-logged"' in page and "LINK" not in page
    sent = client.post("/admin/invitations", data={"email": "new@lab.example.org"})
    assert sent.status_code == 303
    page = client.get("/admin/invitations").get_data(as_text=True)
    [(invitation_id, link)] = LINK.findall(page)
    assert f'data-copy="invitation-link-{invitation_id}">Copy link</button>' in page
    assert "copy its link below" in page
    # The link is the one the e-mail would carry: it opens the invitation.
    with app.test_client() as stranger:
        path = link.removeprefix("http://localhost")
        assert "new@lab.example.org" in stranger.get(path).get_data(as_text=True)
    # Once revoked there is nothing to copy.
    client.post(f"/admin/invitations/{invitation_id}/revoke")
    assert not LINK.findall(client.get("/admin/invitations").get_data(as_text=True))


def test_mailed_invitations_show_no_link(make_app):
    app = make_app(MAIL_BACKEND="memory")
    client = _admin_client(app)
    client.post("/admin/invitations", data={"email": "new@lab.example.org"})
    page = client.get("/admin/invitations").get_data(as_text=True)
    assert "Invitation sent to new@lab.example.org." in page
    assert 'id="mail-is-logged"' not in page and not LINK.findall(page)
