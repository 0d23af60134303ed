"""Admin → People: search by name or e-mail, a page at a time."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.factories import make_user
from trove.accounts.models import Role
from trove.admin import queries

HX = {"HX-Request": "true"}


@pytest.fixture
def people(app, client):
    with app.app_context():
        make_user(Role.ADMIN, email="admin@lab.example.org", name="Ada Admin")
        make_user(email="sam_lee@example.org", name="Sam Lee")
        make_user(email="samxlee@example.org", name="Sam X")
        make_user(email="rita@lab.example.org", name="Rita Reviewer")
        for n in range(5):
            make_user(email=f"person{n}@example.net", name=f"Contributor {n}")
    login(client, "admin@lab.example.org")
    return client


def _names(response) -> list[str]:
    page = response.get_data(as_text=True)
    return [
        line.split("<strong>")[1].split("</strong>")[0]
        for line in page.split("\n")
        if "<strong>" in line
    ]


def test_search_matches_name_or_email_substrings(people):
    assert _names(people.get("/admin/users?q=REVIEW")) == ["Rita Reviewer"]
    assert _names(people.get("/admin/users?q=@lab.example")) == ["Ada Admin", "Rita Reviewer"]
    # LIKE wildcards in the search are plain characters.
    assert _names(people.get("/admin/users?q=sam_")) == ["Sam Lee"]
    assert "No one matches" in people.get("/admin/users?q=100%").get_data(as_text=True)


def test_people_come_a_page_at_a_time(people, monkeypatch):
    monkeypatch.setattr(queries, "PEOPLE_PER_PAGE", 3)
    first = people.get("/admin/users").get_data(as_text=True)
    assert "9 people" in first and "Page 1 of 3" in first
    assert 'href="/admin/users?page=2">Next</a>' in first
    third = people.get("/admin/users?page=3")
    assert _names(third) == ["Contributor 2", "Contributor 3", "Contributor 4"]
    searched = people.get("/admin/users?q=contributor&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in searched and 'href="/admin/users?page=1&amp;q=contributor"' in searched


def test_search_answers_htmx_with_the_list_only(people):
    response = people.get("/admin/users?q=sam", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<section class="card" id="people"')
    assert _names(response) == ["Sam Lee", "Sam X"]


def test_changing_a_role_returns_to_the_same_search_and_page(app, people):
    with app.app_context():
        rita = make_user(email="rita2@lab.example.org", name="Rita Two").id
    response = people.post(
        f"/admin/users/{rita}/role", data={"role": "lab_member", "q": "rita", "page": "2"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/users?q=rita&page=2"


def test_the_search_is_escaped_where_it_is_shown(people):
    page = people.get("/admin/users?q=<b>x</b>").get_data(as_text=True)
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
