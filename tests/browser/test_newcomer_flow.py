"""In a real Chromium on a phone: an admin lands on the projects dashboard, copies an
invitation link (no mail server) and searches people."""

from __future__ import annotations

import pytest

from tests.browser.helpers import sign_in
from tests.conftest import BROWSER_TIMEOUT, PHONE, ConsoleWatcher, LiveServer, screenshot
from tests.factories import make_project, make_submission, make_user
from trove.accounts.models import Role
from trove.discussions.service import ask_question
from trove.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture
def log_mail_server(make_app):
    """A live server whose e-mails only go to the log (the embedded default)."""
    app = make_app(
        WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True, TASKS_MODE="sync", MAIL_BACKEND="log"
    )
    with LiveServer(app) as server:
        yield server


def test_admin_dashboard_copy_link_and_people_search_on_a_phone(browser, log_mail_server):
    base = log_mail_server.url
    with log_mail_server.app.test_request_context("/"):
        admin = make_user(Role.ADMIN, email="admin@example.org", name="Ada Admin")
        project = make_project(admin, title="Shelves in corner shops")
        for _ in range(2):
            make_submission(project)
        ask_question(project, make_user(name="Sam Lee"), "Do reflections on the glass matter?")
        db.session.commit()
        project_id = project.id
    context = browser.new_context(**PHONE, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    console = ConsoleWatcher()
    console.attach(page)
    try:
        sign_in(page, base, "admin@example.org")
        # Lab staff start on their projects, with what waits for them.
        page.get_by_role("heading", name="Your projects").wait_for()
        assert page.url == base + "/lab"
        waiting = page.locator(f"#awaiting-review-{project_id}")
        assert waiting.inner_text() == "2 photos await review"
        assert page.locator(f"#unanswered-{project_id}").inner_text() == "1 unanswered question"
        screenshot(page, "lab-dashboard-phone")

        page.goto(base + "/admin/invitations")
        page.get_by_text("No mail server is set up").first.wait_for()
        page.get_by_label("E-mail address").fill("new@lab.example.org")
        page.get_by_role("button", name="Send the invitation").click()
        field = page.get_by_label("Invitation link for new@lab.example.org")
        field.wait_for()
        link = field.input_value()
        assert link.startswith(base + "/invitations/")
        page.get_by_role("button", name="Copy link").click()
        page.get_by_role("button", name="Copied").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == link
        screenshot(page, "invitation-copy-link-phone")

        page.goto(base + "/admin/users")
        page.get_by_label("Search by name or e-mail").fill("sam")
        page.get_by_text("1 person matching").wait_for()
        assert page.locator("#people strong").all_inner_texts() == ["Sam Lee"]
        assert "q=sam" in page.url
        screenshot(page, "people-search-phone")
        assert console.csp_violations() == [] and console.unexpected() == []
    finally:
        context.close()
