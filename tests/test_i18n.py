"""Languages: choosing one, formatting per locale and time zone, and briefs in several."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from tests.conftest import login
from tests.factories import make_project, make_user
from trove.accounts.models import Role
from trove.extensions import db
from trove.projects import service as projects
from trove.projects.translations import brief_in, save_translation

ROOT = Path(__file__).resolve().parent.parent


def _lang(page: bytes) -> tuple[str, str | None]:
    match = re.search(rb'<html lang="([^"]+)"(?: dir="(\w+)")?>', page)
    assert match, page[:200]
    return match.group(1).decode(), match.group(2) and match.group(2).decode()


def test_the_browser_language_is_used_and_arabic_reads_right_to_left(client):
    assert _lang(client.get("/").data) == ("en", None)
    page = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}).data
    assert _lang(page) == ("es", None)
    assert _lang(client.get("/", headers={"Accept-Language": "pt"}).data) == ("pt-BR", None)
    assert _lang(client.get("/", headers={"Accept-Language": "ar-EG"}).data) == ("ar", "rtl")
    assert _lang(client.get("/", headers={"Accept-Language": "de"}).data) == ("en", None)


def test_the_switcher_remembers_a_choice_and_the_account_keeps_it(app, client):
    with app.app_context():
        make_user(email="lea@example.org")
    answer = client.post("/language", data={"locale": "fr", "next": "/projects"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/projects"
    assert _lang(client.get("/", headers={"Accept-Language": "es"}).data)[0] == "fr"
    # A foreign "next" is never followed.
    assert (
        client.post("/language", data={"locale": "fr", "next": "https://evil.example/"}).headers[
            "Location"
        ]
        == "/"
    )

    login(client, "lea@example.org")
    client.post("/language", data={"locale": "hi", "next": "/"})
    with app.app_context():
        from trove.accounts.models import User

        assert db.session.query(User).filter_by(email="lea@example.org").one().locale == "hi"
    client.delete_cookie("trove_lang")
    assert _lang(client.get("/", headers={"Accept-Language": "es"}).data)[0] == "hi"


def test_an_unknown_language_or_time_zone_is_refused_or_ignored(app, client):
    with app.app_context():
        make_user(email="lea@example.org")
    login(client, "lea@example.org")
    answer = client.post("/language", data={"locale": "xx", "next": "/"})
    assert answer.status_code == 303  # unknown codes fall back to English
    bad = client.post("/language", data={"locale": "es", "timezone": "Mars/Olympus", "next": "/"})
    assert bad.status_code == 303
    assert "Choose a time zone from the list." in client.get("/").text
    with app.app_context():
        from trove.accounts.models import User

        assert db.session.query(User).filter_by(email="lea@example.org").one().timezone is None


def test_money_and_dates_follow_the_language_and_the_time_zone(app):
    from trove.i18n import format_datetime, format_money

    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert format_money(123456, "EUR") == "1\u202f234,56\xa0€"
        assert format_money(150, "JPY") == "150\xa0JPY"
    with app.test_request_context("/"):
        assert format_money(-150, "USD") == "-$1.50"
        assert format_datetime(datetime(2026, 3, 12, 10, 0)) == "Mar 12, 2026, 10:00\u202fAM UTC"
    headers = {"Cookie": "trove_tz=Asia%2FKolkata", "Accept-Language": "hi"}
    with app.test_request_context("/", headers=headers):
        text = format_datetime(datetime(2026, 3, 12, 10, 0))
        assert "3:30" in text and text.endswith("IST"), text


def test_a_translated_brief_shows_its_translation_until_the_original_changes(app, client):
    with app.app_context():
        owner = make_user(Role.LAB_MEMBER, email="olive@example.org")
        project = make_project(owner)
        save_translation(
            project,
            owner,
            "es",
            {"title": "Estantes en tiendas", "summary": "Un modelo que avisa de estantes vacíos."},
        )
        db.session.commit()
        project_id = project.id
    spanish = {"Accept-Language": "es"}
    page = client.get(f"/projects/{project_id}", headers=spanish).text
    assert "Estantes en tiendas" in page and "Un modelo que avisa" in page
    assert 'id="translation-note"' in page  # the other fields are in the original
    assert "Estantes en tiendas" not in client.get(f"/projects/{project_id}").text

    with app.app_context():
        project = projects.db.session.get(type(project), project_id)
        project.summary = "A new summary in version 2."
        db.session.commit()
        text = brief_in(project, "es")
        assert text.title == "Estantes en tiendas"  # unchanged field keeps its translation
        assert text.summary == "A new summary in version 2."  # changed: the original again
        assert "summary" in text.untranslated


def test_only_the_owner_translates_and_bad_input_is_a_clear_4xx(app, client):
    from trove.projects.models import ProjectMember, TeamRole

    with app.app_context():
        owner = make_user(Role.LAB_MEMBER, email="olive@example.org")
        reviewer = make_user(Role.LAB_MEMBER, email="rita@example.org")
        project = make_project(owner)
        project.members.append(ProjectMember(user_id=reviewer.id, role=TeamRole.REVIEWER))
        db.session.commit()
        project_id = project.id
    login(client, "rita@example.org")
    assert client.get(f"/projects/{project_id}/translations/es").status_code == 403
    assert (
        client.post(f"/projects/{project_id}/translations/es", data={"title": "x"}).status_code
        == 403
    )
    client.post("/logout")
    login(client, "olive@example.org")
    assert client.get(f"/projects/{project_id}/translations/en").status_code == 404
    assert client.get(f"/projects/{project_id}/translations/xx").status_code == 404
    page = client.get(f"/projects/{project_id}/translations/ar")
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    too_long = client.post(
        f"/projects/{project_id}/translations/fr", data={"summary": "x" * 20_001}
    )
    assert too_long.status_code == 422 and "limited to 20,000 characters" in too_long.text
    saved = client.post(
        f"/projects/{project_id}/translations/fr", data={"title": "Étagères"}, follow_redirects=True
    )
    assert saved.status_code == 200 and "Étagères" in saved.text


def test_a_flash_from_the_code_reads_in_the_page_language(app, client):
    with app.app_context():
        owner = make_user(Role.LAB_MEMBER, email="olive@example.org")
        project_id = make_project(owner).id
    login(client, "olive@example.org")
    spanish = {"Accept-Language": "es"}
    paused = client.post(f"/projects/{project_id}/pause", headers=spanish, follow_redirects=True)
    assert paused.status_code == 200
    assert "En pausa: no se aceptan fotos nuevas." in paused.text
    assert "Paused: no new uploads." not in paused.text
    # A message with a number takes the language's plural form.
    saved = client.post(
        f"/projects/{project_id}/translations/fr",
        data={"title": "Étagères", "summary": "Un modèle."},
        headers=spanish,
        follow_redirects=True,
    )
    assert "Traducción guardada (2 campos modificados)." in saved.text


def test_a_close_reason_the_app_wrote_is_shown_in_the_readers_language(app, client):
    from datetime import date, timedelta

    with app.app_context():
        owner = make_user(Role.LAB_MEMBER, email="olive@example.org")
        late = make_project(owner, deadline=date.today() + timedelta(days=1))
        own = make_project(owner, title="Bottles on shelves")
        late.deadline = date.today() - timedelta(days=1)
        projects.auto_close_due()
        projects.close_project(own, owner, "Funding ended early")
        db.session.commit()
        assert late.close_reason == "Deadline passed"  # stored in English, as written
        late_id, own_id = late.id, own.id
    spanish = {"Accept-Language": "es"}
    assert "Fecha límite vencida" in client.get(f"/projects/{late_id}", headers=spanish).text
    assert "Deadline passed" in client.get(f"/projects/{late_id}").text
    # A lab's own words stay as the lab wrote them.
    assert "Funding ended early" in client.get(f"/projects/{own_id}", headers=spanish).text


def test_the_account_page_sets_language_and_time_zone(app, client):
    with app.app_context():
        make_user(email="lea@example.org")
    login(client, "lea@example.org")
    page = client.get("/account").text
    assert 'id="account-locale"' in page and 'id="account-timezone"' in page
    saved = client.post(
        "/language", data={"locale": "pt_BR", "timezone": "America/Sao_Paulo", "next": "/account"}
    )
    assert saved.status_code == 303 and saved.headers["Location"] == "/account"
    with app.app_context():
        from trove.accounts.models import User

        user = db.session.query(User).filter_by(email="lea@example.org").one()
        assert (user.locale, user.timezone) == ("pt_BR", "America/Sao_Paulo")
    # The sessions list shows "last seen" in the account's zone (Sao Paulo: UTC-3).
    assert re.search(r"\d:\d\d -03\b", client.get("/account").text)
    # Empty: follow the browser again.
    client.post("/language", data={"locale": "pt_BR", "timezone": "", "next": "/account"})
    with app.app_context():
        assert db.session.get(User, user.id).timezone is None


def test_an_amount_keeps_its_currency_sign_whole_on_a_right_to_left_page(app):
    from trove.i18n import format_money

    with app.test_request_context("/", headers={"Accept-Language": "ar"}):
        text = format_money(150, "USD")
    # Without the closing left-to-right mark the "$" is laid out before "US" ("$US 1.50").
    assert text.endswith("US$\u200e"), repr(text)
    with app.test_request_context("/", headers={"Accept-Language": "hi"}):
        assert not format_money(150, "USD").endswith("\u200e")


def _check_i18n():
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_i18n", ROOT / "scripts" / "check_i18n.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    return check


def test_every_template_string_is_marked_for_translation():
    check = _check_i18n()
    unmarked = {
        str(path.relative_to(ROOT)): found
        for path in sorted((ROOT / "templates").rglob("*.html"))
        if (found := check.unmarked(path.read_text()))
    }
    assert unmarked == {}, "wrap these in {% trans %} or _() (scripts/check_i18n.py)"


def test_every_sentence_in_the_code_is_marked_for_translation():
    check = _check_i18n()
    modules = {path.relative_to(ROOT).as_posix(): path for path in (ROOT / "trove").rglob("*.py")}
    unmarked = {
        name: found
        for name, path in sorted(modules.items())
        if (found := check.unmarked_python(path.read_text(), name))
    }
    assert unmarked == {}, (
        "wrap these in _() or _l(), or list machine output in MACHINE_OUTPUT "
        "(scripts/check_i18n.py)"
    )


def test_the_code_check_finds_sentences_for_people_and_leaves_machine_text():
    source = '''
"""A module docstring is not for a page."""
import logging
log = logging.getLogger(__name__)
def view(project, n):
    """A docstring."""
    log.info("Closed the project %s for good", project.id)
    flash(_("Paused: no new uploads."))
    flash(ngettext("Saved %(num)d field.", "Saved %(num)d fields.", n))
    db.session.execute(text("SELECT id FROM projects WHERE id = :id"))
    if not project:
        raise ValueError(f"Project {project} is missing from the store")
    flash("Open for uploads again.")
    flash(_(f"{project.title} is published."))
    return redirect(f"{project.title} left the team.")
'''
    found = _check_i18n().unmarked_python(source, "trove/x.py")
    assert found == [
        (13, "Open for uploads again."),
        (14, "an f-string as the message: use %(name)s placeholders"),
        (15, "{…} left the team."),
    ]
    # A module in the allowlist is machine output on purpose.
    assert _check_i18n().unmarked_python(source, "trove/cli.py") == []


def test_wtforms_own_messages_follow_the_persons_language_and_are_read_once(app):
    from flask_babel import force_locale
    from wtforms import IntegerField

    from trove.forms import Form, _wtforms_messages

    class Number(Form):
        n = IntegerField()

    spanish, english = "No es un valor entero válido.", "Not a valid integer value."
    _wtforms_messages.cache_clear()
    for language, message in [("es", spanish), ("es", spanish), ("en", english)]:
        request = app.test_request_context("/", method="POST", data={"n": "x"})
        with request, force_locale(language):
            form = Number()
            assert not form.validate()
            assert form.n.errors == [message]
    # Read from disk once per language, not on every request (Flask-WTF's own way).
    assert _wtforms_messages.cache_info().misses == 2


def test_templates_translate_through_the_kept_catalogue_and_follow_force_locale(app):
    from flask import render_template_string
    from flask_babel import force_locale, get_translations, gettext

    from trove.i18n import translations

    page = "{{ _('Sign in') }}|{% trans %}Sign in{% endtrans %}|{{ _('%(n)s%%', n='<b>') }}"
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        spanish = gettext("Sign in")
        assert spanish != "Sign in"
        assert render_template_string(page) == f"{spanish}|{spanish}|&lt;b&gt;%"
        assert translations() is translations()  # found once for the request
        assert get_translations() is translations()  # the code's gettext() uses it too
        with force_locale("fr"):
            french = gettext("Sign in")
            assert french not in ("Sign in", spanish)
            assert render_template_string(page).startswith(f"{french}|{french}|")
        assert render_template_string(page).startswith(f"{spanish}|")
