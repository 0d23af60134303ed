"""In a real Chromium on a phone: ask, answer, mark official, pin, and get notified."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in, sign_out
from tests.conftest import screenshot
from tests.factories import make_project, make_user
from trove.accounts.models import Role

pytestmark = pytest.mark.browser


def test_questions_and_answers_on_a_phone(live_server, phone, outbox):
    page, console = phone
    base = live_server.url
    with live_server.app.app_context():
        owner = make_user(Role.LAB_MEMBER, email="olive@example.org", name="Olive Owner")
        project_id = make_project(owner, title="Shelves in corner shops").id
        make_user(email="sam@example.org", name="Sam")
    thread = f"{base}/projects/{project_id}/questions"

    # Sam asks a question; it appears at the top of the thread without a page load.
    sign_in(page, base, "sam@example.org")
    page.goto(thread)
    page.evaluate("window.qaMarker = 'same page'")
    page.get_by_role("button", name="Post the question").click()
    page.get_by_text("Write your question first.").wait_for()
    page.get_by_label("Your question").fill(
        "Can the shelf be photographed at an angle? See https://example.org/angle"
    )
    page.get_by_role("button", name="Post the question").click()
    question = page.locator("#question-list article.qa-question").first
    question.get_by_text("Can the shelf be photographed at an angle?").wait_for()
    assert page.get_by_label("Your question").input_value() == ""
    assert page.evaluate("window.qaMarker") == "same page"
    link = question.get_by_role("link", name="https://example.org/angle")
    assert link.get_attribute("rel") == "nofollow noopener noreferrer"

    # Sam fixes a typo inline.
    question.get_by_role("link", name="Edit").click()
    page.get_by_label("Edit your post").fill("Can the shelf be photographed at a slight angle?")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Can the shelf be photographed at a slight angle?").wait_for()
    page.locator("#question-list").get_by_text("edited").wait_for()
    assert page.evaluate("window.qaMarker") == "same page"
    screenshot(page, "qa-thread-phone")
    sign_out(page)

    # Olive, the owner, answers, marks the answer official and pins it to the FAQ.
    sign_in(page, base, "olive@example.org")
    page.goto(thread)
    question = page.locator("#question-list article.qa-question").first
    question.locator("summary", has_text="Reply").click()
    question.get_by_label("Your reply").fill(
        "Yes, up to about 15 degrees; keep every shelf edge in view."
    )
    question.get_by_role("button", name="Post the reply").click()
    reply = question.locator("article.qa-reply").first
    reply.get_by_text("Yes, up to about 15 degrees").wait_for()
    reply.get_by_text("Team", exact=True).wait_for()
    reply.get_by_role("button", name="Mark as official answer").click()
    reply = question.locator("article.qa-reply").first
    reply.get_by_text("Official answer", exact=True).wait_for()
    reply.get_by_role("button", name="Pin to the FAQ").click()
    reply = question.locator("article.qa-reply").first
    reply.get_by_text("In the FAQ", exact=True).wait_for()
    screenshot(page, "qa-owner-answers-phone")
    sign_out(page)

    # Sam sees the notifications (and got them by e-mail), and opens the answer.
    sign_in(page, base, "sam@example.org")
    page.get_by_role("link", name="Notifications (2)").click()
    page.get_by_text("Olive Owner replied to your question").wait_for()
    page.get_by_text("has an official answer from the team").wait_for()
    screenshot(page, "qa-notifications-phone")
    assert [m["To"] for m in outbox if "question" in m["Subject"]] == [
        "olive@example.org",  # the owner hears of the new question
        "sam@example.org",
        "sam@example.org",
    ]
    page.get_by_role("button", name="Mark read").first.click()
    page.get_by_text("1 unread").wait_for()
    expect(page.locator("#nav-unread")).to_contain_text("(1)")  # the navigation follows
    page.get_by_role("button", name="Olive Owner replied to your question").click()
    page.wait_for_url("**/posts/*#post-*")
    page.get_by_text("Yes, up to about 15 degrees").wait_for()

    # The brief shows the pinned answer in its FAQ and loads the thread when scrolled to.
    page.goto(f"{base}/projects/{project_id}")
    page.locator("#faq").get_by_text("Yes, up to about 15 degrees").first.wait_for(state="attached")
    page.locator("#questions").scroll_into_view_if_needed()
    page.locator("#questions #question-form").wait_for()
    screenshot(page, "qa-brief-phone")

    assert console.csp_violations() == []
    assert console.unexpected() == []
