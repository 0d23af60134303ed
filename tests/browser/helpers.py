"""Steps the browser tests share."""

from __future__ import annotations

from typing import Any

from tests.conftest import BROWSER_TIMEOUT, PHONE, TEST_PASSWORD, ConsoleWatcher


def desktop_page(browser: Any, timeout: int = BROWSER_TIMEOUT) -> tuple[Any, Any, ConsoleWatcher]:
    """Open a desktop-sized page that accepts confirm dialogs and watches the console.

    Returns (context, page, console watcher); close the context when done.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(timeout)
    page.on("dialog", lambda dialog: dialog.accept())
    console = ConsoleWatcher()
    console.attach(page)
    return context, page, console


def phone_page(browser: Any, base: str, email: str) -> tuple[Any, Any]:
    """Open a phone-sized page signed in as ``email``; return (context, page)."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    sign_in(page, base, email)
    return context, page


def sign_in(page: Any, base: str, email: str, password: str = TEST_PASSWORD) -> None:
    """Sign in through the form and wait for the signed-in header."""
    page.goto(base + "/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.locator('.site-nav form[action$="/logout"]').wait_for(state="attached")


def sign_in_by_ids(page: Any, base: str, email: str, password: str = TEST_PASSWORD) -> None:
    """Sign in by the form's field ids (its labels are in the page's language)."""
    page.goto(base + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").first.click()
    page.locator('.site-nav form[action$="/logout"]').wait_for(state="attached")


def htmx_settled(page: Any) -> None:
    """Wait until htmx has no request in flight and has settled what it swapped in.

    A boosted link pushes its URL before it swaps the page in, and htmx binds the new
    content's ``hx-*`` attributes 20 ms later (when it settles): a key pressed in between
    meets an unbound button, whose plain-form fallback then runs. So after
    ``page.wait_for_url`` on a boosted navigation, wait for this before pressing keys.
    """
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def open_menu(page: Any) -> None:
    """Open the header menu if it is folded (phones); wide screens show its items inline."""
    summary = page.locator("[data-nav-menu] > summary")
    if summary.is_visible() and page.locator("[data-nav-menu][open]").count() == 0:
        summary.click()


def nav(page: Any, name: str, role: str = "link") -> None:
    """Follow a header entry (a link, or the sign-out button) on any screen size."""
    header = page.locator(".site-nav")
    # Wait for the entry to exist (it may be folded away in the menu), then unfold and click.
    header.get_by_role(role, name=name, exact=True, include_hidden=True).wait_for(  # type: ignore[arg-type]
        state="attached"
    )
    open_menu(page)
    header.get_by_role(role, name=name, exact=True).click()  # type: ignore[arg-type]


def sign_out(page: Any) -> None:
    """Sign out and wait for the confirmation."""
    nav(page, "Sign out", "button")
    page.get_by_text("You are signed out.").wait_for()


def start_brief(page: Any, title: str) -> None:
    """From "Your projects", fill the wizard's first three steps (purpose, data, examples)."""
    page.get_by_role("link", name="Your projects").click()
    page.get_by_role("link", name="New project").click()
    page.get_by_label("Project title").fill(title)
    page.get_by_label("What is the model for?").fill("Tell shop staff when a shelf is empty.")
    page.get_by_label("Who benefits?").fill("Small shops and their customers.")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_text("Draft saved.").wait_for()
    page.get_by_label("What the photos must show").fill("A whole shelf, straight on.")
    page.get_by_label("How the photos will be used").fill("Training an empty-shelf detector.")
    page.get_by_label("Who can access the photos").fill("The five people on this team.")
    page.get_by_label("How long photos are kept (days)").fill("365")
    page.get_by_label("Days before a withdrawn photo is deleted").fill("14")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name="Examples").wait_for()
    page.get_by_role("button", name="Continue").click()
