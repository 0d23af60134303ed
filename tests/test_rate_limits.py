"""Rate limits: each limited form refuses with a friendly 429 once its budget is spent.

``tests/test_app.py`` covers signing in (page and fragment); here are sign-up, password
reset (asking for a link and using it), accepting an invitation, uploading, posting in the
Q&A and deleting an account. Each test lowers the limit to two per minute, spends it, and
checks that the third try is refused before it does anything: as a page without htmx and
as a small fragment (the alert region's text) with htmx.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import TEST_PASSWORD, login
from tests.factories import make_project, make_user
from tests.images import photo
from trove.accounts.invitations import invite_lab_member
from trove.accounts.models import Invitation, Role, SignupRequest, User
from trove.accounts.service import make_reset_token
from trove.discussions.models import Post
from trove.extensions import db
from trove.submissions.models import Submission

HX = {"HX-Request": "true"}
FRIENDLY = b"Too many attempts. Wait a minute and try again."


@pytest.fixture
def limited(make_app: Any) -> Callable[[str], Any]:
    """Return a factory for apps whose ``key`` limit is two per minute."""

    def factory(key: str) -> Any:
        return make_app(RATELIMIT_ENABLED=True, **{key: "2 per minute"})

    return factory


def spend(send: Callable[..., Any], allowed: tuple[int, ...]) -> None:
    """Use up the two tries, checking each gets its ordinary answer."""
    assert [send().status_code for _ in range(2)] == list(allowed)


def assert_refused_kindly(send: Callable[..., Any]) -> None:
    """Assert a 429 page without htmx, and a 429 fragment with it, both saying to wait."""
    page = send()
    assert page.status_code == 429
    assert FRIENDLY in page.data and b"<html" in page.data
    assert int(page.headers["Retry-After"]) > 0
    fragment = send(headers=HX)
    assert fragment.status_code == 429
    assert FRIENDLY in fragment.data and b"error-message" in fragment.data
    assert b"<html" not in fragment.data


def _count(app: Any, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_signing_up_is_limited(limited):
    app = limited("RATELIMIT_SIGNUP")
    client = app.test_client()

    def send(**kw: Any) -> Any:
        data = {"email": f"new{_count(app, SignupRequest)}@example.org", "display_name": "New"}
        return client.post("/signup", data={**data, "password": TEST_PASSWORD}, **kw)

    spend(send, (303, 303))
    assert_refused_kindly(send)
    assert _count(app, SignupRequest) == 2


def test_asking_for_reset_links_is_limited(limited, outbox):
    app = limited("RATELIMIT_RESET")
    with app.app_context():
        make_user(email="u@example.org")
    client = app.test_client()

    def send(**kw: Any) -> Any:
        return client.post("/password/forgot", data={"email": "u@example.org"}, **kw)

    spend(send, (200, 200))
    assert_refused_kindly(send)
    assert len(outbox) == 2  # no link went out for the refused tries


def test_using_a_reset_link_is_limited(limited):
    app = limited("RATELIMIT_RESET")
    with app.test_request_context("/"):
        token = make_reset_token(make_user(email="u@example.org"))
    client = app.test_client()
    mismatch = {"password": "a new long password", "confirm": "something else"}
    spend(lambda: client.post(f"/password/reset/{token}", data=mismatch), (422, 422))

    def send(**kw: Any) -> Any:
        data = {"password": "a new long password", "confirm": "a new long password"}
        return client.post(f"/password/reset/{token}", data=data, **kw)

    assert_refused_kindly(send)
    login(app.test_client(), "u@example.org")  # the old password still works


def test_accepting_an_invitation_is_limited(limited):
    app = limited("RATELIMIT_SIGNUP")
    with app.test_request_context("/"):
        _invitation, token = invite_lab_member(make_user(Role.ADMIN), "lab@example.org")
        db.session.commit()
    client = app.test_client()
    spend(lambda: client.post(f"/invitations/{token}", data={}), (422, 422))

    def send(**kw: Any) -> Any:
        data = {"display_name": "Lab", "password": TEST_PASSWORD}
        return client.post(f"/invitations/{token}", data=data, **kw)

    assert_refused_kindly(send)
    with app.app_context():
        assert db.session.scalar(select(Invitation)).status == "pending"


def test_uploading_is_limited(limited):
    app = limited("RATELIMIT_UPLOAD")
    with app.app_context():
        project = make_project()
        project_id, version_id = project.id, project.current_version_id
        make_user(email="sam@example.org")
    client = app.test_client()
    login(client, "sam@example.org")
    seeds = iter(range(100, 200))

    def send(*, htmx: bool = True) -> Any:
        data = {"photos": (io.BytesIO(photo(seed=next(seeds))), "p.jpg"), "consent": version_id}
        return client.post(
            f"/projects/{project_id}/submissions",
            data=data,
            content_type="multipart/form-data",
            headers=HX if htmx else {},
        )

    spend(send, (201, 201))
    refused = send(htmx=False)  # the form without JavaScript gets the whole page
    assert refused.status_code == 429 and FRIENDLY in refused.data and b"<html" in refused.data
    fragment = send()  # the upload script shows the fragment's message under the photo
    assert fragment.status_code == 429 and FRIENDLY in fragment.data
    assert b"error-message" in fragment.data and b"<html" not in fragment.data
    assert _count(app, Submission) == 2


def test_posting_in_the_qa_is_limited_per_account(limited):
    app = limited("RATELIMIT_POST")
    with app.app_context():
        project_id = make_project().id
        make_user(email="sam@example.org")
        make_user(email="kim@example.org")
    sam = app.test_client()
    login(sam, "sam@example.org")
    url = f"/projects/{project_id}/questions"
    spend(lambda: sam.post(url, data={"body": "Night photos?"}), (303, 303))
    assert_refused_kindly(lambda **kw: sam.post(url, data={"body": "And blurry?"}, **kw))
    assert _count(app, Post) == 2
    kim = app.test_client()  # same address, another account: her budget is her own
    login(kim, "kim@example.org")
    assert kim.post(url, data={"body": "Indoors?"}).status_code == 303


def test_deleting_an_account_is_limited(limited):
    app = limited("RATELIMIT_LOGIN")
    with app.app_context():
        make_user(email="sam@example.org")
    client = app.test_client()
    login(client, "sam@example.org")

    def send(password: str = "wrong guess", **kw: Any) -> Any:
        data = {"photos": "withdraw", "password": password}
        return client.post("/me/delete", data=data, **kw)

    spend(send, (422, 422))
    assert_refused_kindly(lambda **kw: send(TEST_PASSWORD, **kw))
    with app.app_context():
        assert db.session.scalar(select(User)).deleted_at is None


def test_the_sign_in_limit_is_per_address(limited):
    app = limited("RATELIMIT_LOGIN")
    client = app.test_client()
    data = {"email": "a@example.org", "password": "x"}
    here, there = {"REMOTE_ADDR": "10.0.0.1"}, {"REMOTE_ADDR": "10.0.0.2"}
    codes = [client.post("/login", data=data, environ_base=here).status_code for _ in range(3)]
    assert codes == [422, 422, 429]
    assert client.post("/login", data=data, environ_base=there).status_code == 422


def test_failed_sign_ins_are_limited_per_account_and_address(app, limited):
    with app.app_context():
        make_user(email="a@example.org")
    app = limited("RATELIMIT_LOGIN_ACCOUNT")
    client = app.test_client()
    wrong = {"email": "A@example.org ", "password": "not the password"}
    here = {"REMOTE_ADDR": "10.0.0.1"}
    codes = [client.post("/login", data=wrong, environ_base=here).status_code for _ in range(3)]
    assert codes == [422, 422, 429]  # the guesser is slowed down
    # Another address is not: a stranger's guesses never lock the owner out.
    there = {"REMOTE_ADDR": "10.0.0.2"}
    assert client.post("/login", data=wrong, environ_base=there).status_code == 422


def test_successful_sign_ins_do_not_count_against_the_account(app, limited):
    with app.app_context():
        make_user(email="a@example.org")
    app = limited("RATELIMIT_LOGIN_ACCOUNT")
    for n in range(3):
        client = app.test_client()
        assert (
            client.post(
                "/login",
                data={"email": "a@example.org", "password": TEST_PASSWORD},
                environ_base={"REMOTE_ADDR": f"10.0.2.{n}"},
            ).status_code
            == 303
        )


def test_limits_are_off_when_disabled(make_app):
    app = make_app(RATELIMIT_ENABLED=False, RATELIMIT_RESET="1 per minute")
    client = app.test_client()
    codes = {
        client.post("/password/forgot", data={"email": "u@example.org"}).status_code
        for _ in range(3)
    }
    assert codes == {200}
