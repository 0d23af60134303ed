"""The Q&A over HTTP: who may do what, htmx fragments and plain pages, hostile input."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from tests.conftest import login, seed_once
from tests.discussions.conftest import make_cast
from trove.discussions import service
from trove.discussions.models import Post
from trove.extensions import db
from trove.notifications.models import Notification

HX = {"HX-Request": "true"}
ROLES = ["anonymous", "contributor", "lab", "viewer", "owner", "admin"]


@pytest.fixture
def world(app):
    """Create a published project with a question (by the contributor) and a reply."""
    return seed_once(app, _build_world)


def _build_world(app):
    with app.app_context(), app.test_request_context("/"):
        cast = make_cast()
        question = service.ask_question(cast.project, cast.contributor, "Can shelves be tilted?")
        answer = service.reply_to_question(question, cast.other, "I tilted mine.")
        db.session.commit()
        return SimpleNamespace(
            project_id=cast.project.id,
            question_id=question.id,
            answer_id=answer.id,
            emails={
                "contributor": cast.contributor.email,
                "lab": cast.lab.email,
                "viewer": cast.viewer.email,
                "owner": cast.owner.email,
                "admin": cast.admin.email,
            },
        )


def _as(client, world, role):
    if role != "anonymous":
        login(client, world.emails[role])


def _post(app, post_id) -> Post:
    with app.app_context():
        post = db.session.get(Post, post_id)
        db.session.expunge(post)
        return post


# --- reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_everyone_reads_a_public_thread(client, world, role):
    _as(client, world, role)
    page = client.get(f"/projects/{world.project_id}/questions")
    assert page.status_code == 200
    assert b"<html" in page.data and b"Can shelves be tilted?" in page.data
    fragment = client.get(f"/projects/{world.project_id}/questions", headers=HX)
    assert fragment.status_code == 200
    assert b"<html" not in fragment.data and b'id="thread"' in fragment.data
    assert "HX-Request" in fragment.headers["Vary"]
    # The ask box for people who may ask, a sign-in invitation otherwise.
    assert (b'id="question-form"' in page.data) is (role != "anonymous")
    assert (b"to ask a question" in page.data) is (role == "anonymous")


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 404),
        ("contributor", 404),
        ("lab", 404),
        ("viewer", 200),
        ("owner", 200),
        ("admin", 200),
    ],
)
def test_a_draft_projects_thread_is_hidden_from_outsiders(app, client, role, expected):
    with app.app_context(), app.test_request_context("/"):
        cast = make_cast("draft")
        db.session.commit()
        project_id = cast.project.id
        emails = {r: getattr(cast, r).email for r in ROLES[1:]}
    if role != "anonymous":
        login(client, emails[role])
    response = client.get(f"/projects/{project_id}/questions")
    assert response.status_code == expected
    if expected == 200:
        assert b"Questions open once the brief is published." in response.data
        assert b'id="question-form"' not in response.data
    post = client.post(f"/projects/{project_id}/questions", data={"body": "Hi?"})
    assert post.status_code == {404: 302 if role == "anonymous" else 404, 200: 409}[expected]


def test_a_post_page_shows_its_question_and_replies(client, world):
    page = client.get(f"/posts/{world.answer_id}")
    assert page.status_code == 200 and b"<html" in page.data
    assert b"Can shelves be tilted?" in page.data and b"I tilted mine." in page.data
    fragment = client.get(f"/posts/{world.answer_id}", headers=HX)
    assert (
        b"<html" not in fragment.data and f'id="post-{world.answer_id}"'.encode() in fragment.data
    )
    assert client.get("/posts/999999").status_code == 404


# --- changing, by role --------------------------------------------------------------------------

ALL_MAY = {
    "anonymous": 302,
    "contributor": 303,
    "lab": 303,
    "viewer": 303,
    "owner": 303,
    "admin": 303,
}
AUTHOR_ONLY = {
    "anonymous": 302,
    "contributor": 303,
    "lab": 403,
    "viewer": 403,
    "owner": 403,
    "admin": 403,
}
AUTHOR_OR_ADMIN = {**AUTHOR_ONLY, "admin": 303}
TEAM = {"anonymous": 302, "contributor": 403, "lab": 403, "viewer": 303, "owner": 303, "admin": 303}
ADMIN = {
    "anonymous": 302,
    "contributor": 403,
    "lab": 403,
    "viewer": 403,
    "owner": 403,
    "admin": 303,
}

ROUTES = [
    ("ask", "/projects/{project_id}/questions", {"body": "Are reflections a problem?"}, ALL_MAY),
    ("reply", "/posts/{question_id}/replies", {"body": "Same question here."}, ALL_MAY),
    ("edit", "/posts/{question_id}/edit", {"body": "Can shelves be tilted at all?"}, AUTHOR_ONLY),
    ("delete", "/posts/{question_id}/delete", {}, AUTHOR_OR_ADMIN),
    ("official", "/posts/{answer_id}/official", {"official": "1"}, TEAM),
    ("pin", "/posts/{answer_id}/pin", {"pinned": "1"}, TEAM),
    ("hide", "/posts/{question_id}/hide", {"hidden": "1"}, ADMIN),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "url", "data", "expected"), ROUTES, ids=[r[0] for r in ROUTES])
def test_changes_by_role(client, world, role, name, url, data, expected):
    _as(client, world, role)
    url = url.format(**vars(world))
    response = client.post(url, data=data)
    assert response.status_code == expected[role], response.data[:300]
    if expected[role] == 303:
        location = response.headers["Location"]
        assert re.fullmatch(rf"/projects/{world.project_id}/questions#post-\d+", location)
    elif expected[role] == 302:
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "url", "data", "expected"), ROUTES, ids=[r[0] for r in ROUTES])
def test_htmx_changes_return_the_changed_fragment(client, world, role, name, url, data, expected):
    if expected[role] != 303:
        return  # refusals are covered above
    _as(client, world, role)
    response = client.post(url.format(**vars(world)), data=data, headers=HX)
    assert response.status_code == 200, response.data[:300]
    assert b"<html" not in response.data
    assert "HX-Request" in response.headers["Vary"]
    body = response.data.decode()
    if name == "ask":
        assert 'id="question-form"' in body and 'hx-swap-oob="afterbegin:#question-list"' in body
        assert "Are reflections a problem?" in body
        assert body.count("Are reflections a problem?") == 1  # the form is empty again
        assert body.count("hx-swap-oob") == 1
    elif name == "reply":
        assert f'hx-swap-oob="beforeend:#replies-{world.question_id}"' in body
        assert body.count("Same question here.") == 1 and body.count("hx-swap-oob") == 1
    elif name == "delete":
        # The question has a reply, so a placeholder stays in its place.
        assert "This post was deleted." in body and "I tilted mine." in body
    elif name == "official":
        assert f'id="post-{world.answer_id}"' in body and "Official answer" in body
    elif name == "pin":
        assert "In the FAQ" in body and "Official answer" in body
    elif name == "hide":
        assert "Hidden by a moderator" in body and "Unhide" in body
    elif name == "edit":
        assert "Can shelves be tilted at all?" in body and "edited" in body


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("contributor", 200), ("lab", 403), ("owner", 403), ("admin", 403)],
)
def test_the_edit_form_is_the_authors(client, world, role, expected):
    _as(client, world, role)
    response = client.get(f"/posts/{world.question_id}/edit", headers=HX)
    assert response.status_code == expected
    if role == "anonymous":  # htmx is sent to sign in
        assert response.headers["HX-Redirect"].startswith("/login?next=")
    if expected == 200:
        assert b"<html" not in response.data
        assert b'id="post-' + str(world.question_id).encode() + b'-edit"' in response.data
        assert b"Can shelves be tilted?</textarea>" in response.data
        page = client.get(f"/posts/{world.question_id}/edit")
        assert page.status_code == 200 and b"<html" in page.data


def test_replying_to_a_reply_is_refused(client, world):
    login(client, world.emails["contributor"])
    response = client.post(f"/posts/{world.answer_id}/replies", data={"body": "Nested?"})
    assert response.status_code == 409
    assert b"Replies go under the question" in response.data


def test_a_bad_toggle_value_is_a_400(client, world):
    login(client, world.emails["owner"])
    assert client.post(f"/posts/{world.answer_id}/pin", data={"pinned": "yes"}).status_code == 400


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/projects/{project_id}/questions", b"Write your question first."),
        ("/posts/{question_id}/replies", b"Write your reply first."),
        ("/posts/{question_id}/edit", b"A post cannot be empty."),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
def test_an_empty_post_is_refused_inline(client, world, url, message, htmx):
    login(client, world.emails["contributor"])
    response = client.post(
        url.format(**vars(world)), data={"body": "  "}, headers=HX if htmx else {}
    )
    assert response.status_code == 422
    assert message in response.data
    assert (b"<html" in response.data) is not htmx


@pytest.mark.parametrize("csrf", [False, True])
@pytest.mark.parametrize(
    "url",
    [
        "/projects/{project_id}/questions",
        "/posts/{question_id}/replies",
        "/posts/{question_id}/edit",
    ],
)
def test_a_ten_megabyte_post_gets_a_clear_message_not_an_error(make_app, world, url, csrf):
    app = make_app(WTF_CSRF_ENABLED=csrf)
    client = app.test_client()
    with client.session_transaction():
        pass
    if csrf:
        # Sign in through the form with its token, like a browser.
        page = client.get("/login").data.decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post(
            "/login",
            data={
                "email": world.emails["contributor"],
                "password": "correct horse battery",
                "csrf_token": token,
            },
        )
    else:
        login(client, world.emails["contributor"])
    response = client.post(url.format(**vars(world)), data={"body": "x" * 10_000_000}, headers=HX)
    assert response.status_code == 422
    assert b"Keep a post to 5,000 characters or fewer" in response.data
    assert b"<html" not in response.data


def test_5001_characters_are_refused_with_the_count(client, world):
    login(client, world.emails["contributor"])
    response = client.post(
        f"/projects/{world.project_id}/questions", data={"body": "y" * 5001}, headers=HX
    )
    assert response.status_code == 422
    assert b"this has 5,001" in response.data


def test_markup_is_escaped_and_links_are_nofollow(app, client, world):
    login(client, world.emails["contributor"])
    body = "<script>alert(1)</script> and <img src=x onerror=alert(2)> see https://example.org/x"
    response = client.post(
        f"/projects/{world.project_id}/questions", data={"body": body}, headers=HX
    )
    for html in (response.data, client.get(f"/projects/{world.project_id}/questions").data):
        assert b"<script>alert(1)" not in html and b"<img src=x" not in html
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert b"&lt;img src=x onerror=alert(2)&gt;" in html
        assert (
            b'<a href="https://example.org/x" rel="nofollow noopener noreferrer" '
            b'target="_blank">https://example.org/x</a>'
        ) in html


# --- what people see -----------------------------------------------------------------------------


def test_team_posts_carry_a_team_badge(app, client, world):
    login(client, world.emails["owner"])
    client.post(f"/posts/{world.question_id}/replies", data={"body": "Yes, up to 10 degrees."})
    client.post("/logout")
    page = client.get(f"/projects/{world.project_id}/questions").data.decode()
    owner_reply = page[page.index("Olive Owner") : page.index("Yes, up to 10 degrees.")]
    assert "badge-team" in owner_reply
    other_reply = page[page.index("Kim Contributor") : page.index("I tilted mine.")]
    assert "badge-team" not in other_reply


def test_hidden_posts_show_a_placeholder_to_all_but_admins_and_the_author(app, client, world):
    login(client, world.emails["admin"])
    client.post(f"/posts/{world.question_id}/hide", data={"hidden": "1"})
    for role, sees in [
        ("admin", True),
        ("contributor", True),
        ("owner", False),
        ("anonymous", False),
    ]:
        client.post("/logout")
        _as(client, world, role)
        page = client.get(f"/projects/{world.project_id}/questions").data
        assert (b"Can shelves be tilted?" in page) is sees, role
        assert b"Hidden by a moderator" in page
        assert b"I tilted mine." in page  # replies stay


def _render_faq(app, project_id) -> str:
    from flask import render_template

    from trove.projects.models import Project

    with app.test_request_context("/"):
        return render_template("discussions/_faq.html", project=db.session.get(Project, project_id))


def test_a_pinned_answer_appears_in_the_faq_include(app, client, world):
    assert _render_faq(app, world.project_id).strip() == ""  # nothing pinned: nothing at all
    login(client, world.emails["owner"])
    client.post(f"/posts/{world.answer_id}/pin", data={"pinned": "1"})
    html = _render_faq(app, world.project_id)
    assert 'id="faq"' in html and "Frequently asked questions" in html
    assert "Can shelves be tilted?" in html and "I tilted mine." in html
    client.post(f"/posts/{world.answer_id}/pin", data={"pinned": "0"})
    assert _render_faq(app, world.project_id).strip() == ""


def test_the_brief_section_lazy_loads_the_thread(app, world):
    with app.test_request_context("/"):
        from flask import render_template

        from trove.projects.models import Project

        html = render_template(
            "discussions/_section.html", project=db.session.get(Project, world.project_id)
        )
    assert 'id="questions"' in html and "Questions and answers" in html
    assert f'hx-get="/projects/{world.project_id}/questions"' in html
    assert 'hx-trigger="revealed"' in html
    assert f'href="/projects/{world.project_id}/questions"' in html  # works without JS


def test_the_asker_is_notified_with_a_link_to_the_reply(app, client, world, outbox):
    login(client, world.emails["owner"])
    client.post(f"/posts/{world.question_id}/replies", data={"body": "Yes."}, headers=HX)
    with app.app_context():
        notes = db.session.scalars(
            select(Notification)
            .where(Notification.kind == "discussion.reply")
            .order_by(Notification.id)
        ).all()
        assert len(notes) == 2
        assert notes[-1].url.startswith(f"/posts/{world.question_id}#post-")
    assert outbox[-1]["To"] == world.emails["contributor"]


def test_posting_is_rate_limited(make_app, world):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_POST="2 per minute")
    client = app.test_client()
    login(client, world.emails["contributor"])
    url = f"/projects/{world.project_id}/questions"
    codes = [client.post(url, data={"body": f"Q{n}?"}).status_code for n in range(3)]
    assert codes == [303, 303, 429]
    reply = client.post(f"/posts/{world.question_id}/replies", data={"body": "R"})
    assert reply.status_code == 429  # one bucket for asking, replying and editing


def test_the_brief_page_shows_the_faq_and_the_questions_section(client, world):
    login(client, world.emails["owner"])
    client.post(f"/posts/{world.answer_id}/pin", data={"pinned": "1"})
    client.post("/logout")
    page = client.get(f"/projects/{world.project_id}").data.decode()
    assert 'id="faq"' in page and 'id="questions"' in page
    assert page.index('id="faq"') < page.index('id="questions"')
