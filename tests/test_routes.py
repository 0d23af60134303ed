"""Route inventory: every route is classified, and each class keeps out who it must.

A new route fails ``test_every_route_is_classified`` until it is added to ``ROUTES`` with
who may use it; the permission tests then check it for anonymous visitors and for a
signed-in contributor who has nothing to do with the resource.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import login, seed_once
from tests.exports.conftest import build_lab, cut
from tests.factories import make_user
from trove.accounts.invitations import invite_lab_member
from trove.accounts.models import Role
from trove.contests import service as contests
from trove.discussions.service import ask_question
from trove.extensions import db
from trove.notifications.models import Notification
from trove.payouts import service as payouts
from trove.tasks import JobRecord
from trove.timeutil import utcnow

PUBLIC = "public"  # anyone, signed in or not
LOGIN = "login"  # any signed-in person (acts on their own account)
OWN = "own"  # only the person the resource belongs to (and, where it applies, the team)
TEAM = "team"  # a role on the project's team (or an admin)
ADMIN = "admin"  # instance admins only

ROUTES: dict[str, str] = {
    "static": PUBLIC,
    "main.index": PUBLIC,
    "main.guide": PUBLIC,
    "main.healthz": PUBLIC,
    "main.choose_language": PUBLIC,
    "accounts.signup_form": PUBLIC,
    "accounts.signup": PUBLIC,
    "accounts.signup_sent": PUBLIC,
    "accounts.confirm_signup_form": PUBLIC,  # needs a mailed token
    "accounts.confirm_signup": PUBLIC,
    "accounts.login_form": PUBLIC,
    "accounts.login": PUBLIC,
    "accounts.forgot_password_form": PUBLIC,
    "accounts.forgot_password": PUBLIC,
    "accounts.reset_password_form": PUBLIC,  # needs a signed token
    "accounts.reset_password": PUBLIC,
    "accounts.invitation": PUBLIC,  # needs an invitation token
    "accounts.accept_invitation": PUBLIC,
    "accounts.logout": PUBLIC,  # signing out when signed out is harmless
    "accounts.profile_form": LOGIN,
    "accounts.profile": LOGIN,
    "accounts.sign_in_link_form": PUBLIC,
    "accounts.send_sign_in_link": PUBLIC,
    "accounts.sign_in_link": PUBLIC,  # needs a signed token
    "accounts.use_sign_in_link": PUBLIC,
    "accounts.confirm_email_form": PUBLIC,  # needs a signed token
    "accounts.confirm_email": PUBLIC,
    "accounts.change_password": LOGIN,
    "accounts.change_email": LOGIN,
    "accounts.end_session": LOGIN,  # only the signed-in person's own sessions
    "accounts.end_all_sessions": LOGIN,
    "projects.index": PUBLIC,
    "projects.brief": PUBLIC,
    "projects.versions": PUBLIC,
    "projects.example_image": PUBLIC,  # examples of a published brief are public
    "discussions.thread": PUBLIC,
    "discussions.post": PUBLIC,
    "contests.contest": PUBLIC,
    "contests.entries": PUBLIC,  # after the draw; the team's live view before it
    "payouts.webhook": PUBLIC,  # signed by PayPal, verified through PayPal
    "projects.lab": LOGIN,
    "projects.new": LOGIN,
    "projects.create": LOGIN,
    "submissions.mine": LOGIN,
    "submissions.upload": LOGIN,
    "payouts.my_earnings": LOGIN,
    "notifications.index": LOGIN,
    "notifications.nav_count": PUBLIC,  # a count for the signed-in; 286 (no content) otherwise
    "notifications.read_all": LOGIN,
    "discussions.ask": LOGIN,
    "discussions.reply": LOGIN,
    "consent.confirm_withdrawal": LOGIN,
    "consent.withdraw": LOGIN,
    "consent.my_data": LOGIN,
    "consent.delete_form": LOGIN,
    "consent.delete": LOGIN,
    "consent.photo": OWN,
    "submissions.card": OWN,
    "submissions.image": OWN,
    "submissions.original": OWN,
    "review.appeal": OWN,
    "notifications.read": OWN,
    "discussions.edit_form": OWN,
    "discussions.edit": OWN,
    "discussions.delete": OWN,
    "discussions.hide": TEAM,
    "discussions.pin": TEAM,
    "discussions.official": TEAM,
    "projects.edit_step": TEAM,
    "projects.save_step": TEAM,
    "projects.preview_budget": TEAM,
    "projects.add_example": TEAM,
    "projects.delete_example": TEAM,
    "projects.submit": TEAM,
    "projects.withdraw": TEAM,
    "projects.pause": TEAM,
    "projects.resume": TEAM,
    "projects.close": TEAM,
    "projects.team": TEAM,
    "projects.add_member": TEAM,
    "projects.translations": TEAM,
    "projects.save_translations": TEAM,
    "projects.change_role": TEAM,
    "projects.remove_member": TEAM,
    "review.queue": TEAM,
    "review.blur_boxes": TEAM,
    "tus.capabilities": PUBLIC,
    "tus.create": LOGIN,
    "tus.head": OWN,
    "tus.patch": OWN,
    "tus.terminate": OWN,
    "review.queue_counters": TEAM,
    "review.approve": TEAM,
    "review.reject": TEAM,
    "review.reset": TEAM,
    "review.keep_declined": TEAM,
    "review.bulk": TEAM,
    "review.zoom": TEAM,
    "review.decline_remaining": TEAM,
    "review.audit": TEAM,
    "review.second_opinion": TEAM,
    "review.disagreements": TEAM,
    "review.resolve": TEAM,
    "review.insight": TEAM,
    "review.checks": TEAM,
    "review.mark_gold": TEAM,
    "review.stop_gold": TEAM,
    "payouts.project_payouts": TEAM,
    "payouts.prepare": TEAM,
    "payouts.batch": TEAM,
    "payouts.approve": TEAM,
    "payouts.cancel": TEAM,
    "payouts.send": TEAM,
    "payouts.refresh": TEAM,
    "payouts.mark": TEAM,
    "payouts.upload_file": TEAM,
    "payouts.export_payments": TEAM,
    "payouts.export_payees": TEAM,
    "exports.project_datasets": TEAM,
    "exports.cut": TEAM,
    "exports.version": TEAM,
    "exports.download": TEAM,
    "exports.add_use": TEAM,
    "exports.deletion_list": TEAM,
    "exports.confirm_deletion": TEAM,
    "contests.project_contests": TEAM,
    "contests.create": TEAM,
    "contests.exclude": TEAM,
    "contests.draw": TEAM,
    "contests.cancel": TEAM,
    "contests.fulfil": TEAM,
    "contests.prize": TEAM,
    "projects.vetting": ADMIN,
    "projects.vet": ADMIN,
    "projects.publish": ADMIN,
    "projects.send_back": ADMIN,
    "admin.dashboard": ADMIN,
    "admin.users": ADMIN,
    "admin.change_role": ADMIN,
    "admin.deactivate_user": ADMIN,
    "admin.reactivate_user": ADMIN,
    "admin.invitations": ADMIN,
    "admin.invite": ADMIN,
    "admin.revoke_invitation": ADMIN,
    "admin.jobs": ADMIN,
    "admin.retry": ADMIN,
}

#: What a refusal may look like: sent to sign in, forbidden, or not shown at all.
DENIED = {302, 401, 403, 404}


def _rules(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_is_classified(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ROUTES) == set(), "classify the new routes in ROUTES"
    assert set(ROUTES) - endpoints == set(), "remove routes that no longer exist"


@pytest.fixture
def world(app):
    """One of everything a URL can point at, and an outsider who owns none of it."""
    return seed_once(app, _build_world)


def _build_world(app):
    with app.test_request_context("/"):
        lab = build_lab((2,))
        person = lab.contributors[0]
        person.paypal_email = "pay@example.org"
        version = cut(lab)
        [batch] = payouts.prepare_batch(lab.project, lab.owner)
        now = utcnow()
        contest = contests.create_contest(
            lab.project,
            lab.owner,
            contests.ContestTerms(
                title="Draw",
                prize="Prize",
                rules="Rules",
                starts_at=now - timedelta(days=1),
                ends_at=now,
            ),
        )
        db.session.flush()
        [winner] = contests.draw(contest, lab.owner)
        question = ask_question(lab.project, person, "Can I photograph shelves at night?")
        admin = make_user(Role.ADMIN, commit=False)
        invitation, _token = invite_lab_member(admin, "new.member@example.org")
        db.session.commit()
        notification = db.session.query(Notification).filter_by(user_id=person.id).first()
        job = db.session.query(JobRecord).first()
        values = {
            "project_id": lab.project.id,
            "submission_id": lab.photos[0].id,
            "batch_id": batch.id,
            "version_id": version.id,
            "contest_id": contest.id,
            "winner_id": winner.id,
            "post_id": question.id,
            "member_id": lab.project.members[0].id,
            "example_id": 1,
            "check_id": 1,
            "gold_id": 1,
            "notification_id": notification.id,
            "job_id": job.id,
            "invitation_id": invitation.id,
            "user_id": person.id,
            "session_id": 1,
            "step": 1,
            "size": 320,
            "token": "not-a-token",
            "filename": "app.css",
            "locale": "es",
        }
        outsider = make_user(email="outsider@example.org")
        return {"values": values, "outsider": outsider.email, "admin": admin.email}


def _url(rule, values) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<int:{name}>", str(values[name]))
        path = path.replace(f"<path:{name}>", str(values[name]))
        path = path.replace(f"<{name}>", str(values[name]))
    return path


def _call(client, method, url):
    # tus's routes check the protocol version first (412 without it); every other route
    # ignores the header.
    response = client.open(url, method=method, headers={"Tus-Resumable": "1.0.0"})
    response.close()
    return response.status_code


def _checked(app, classes):
    return [(rule, method) for rule, method in _rules(app) if ROUTES.get(rule.endpoint) in classes]


def test_anonymous_visitors_are_kept_out_of_every_non_public_route(app, client, world):
    refused = {
        f"{method} {rule.rule}": _call(client, method, _url(rule, world["values"]))
        for rule, method in _checked(app, {LOGIN, OWN, TEAM, ADMIN})
    }
    allowed = {route: status for route, status in refused.items() if status not in DENIED}
    assert allowed == {}


def test_an_unrelated_contributor_is_kept_out_of_others_resources(app, client, world):
    login(client, world["outsider"])
    refused = {
        f"{method} {rule.rule}": _call(client, method, _url(rule, world["values"]))
        for rule, method in _checked(app, {OWN, TEAM, ADMIN})
    }
    allowed = {route: status for route, status in refused.items() if status not in DENIED}
    assert allowed == {}


#: State-changing routes that may be called without a CSRF token (machines, not browsers).
CSRF_EXEMPT = {"payouts.webhook"}


def test_every_state_changing_route_needs_a_csrf_token(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    statuses = {
        f"{method} {rule.rule}": _call(client, method, _url(rule, world["values"]))
        for rule, method in _rules(app)
        if method != "GET" and rule.endpoint not in CSRF_EXEMPT
    }
    assert statuses and {route: s for route, s in statuses.items() if s != 400} == {}
    htmx = client.post("/logout", headers={"HX-Request": "true"})
    assert htmx.status_code == 400


#: Past 2**63 - 1: no id column can hold it (binding it raised OverflowError, a 500).
HUGE = "99999999999999999999"


def _int_arguments(rule) -> list[str]:
    return [name for name in sorted(rule.arguments) if f"<int:{name}>" in rule.rule]


def test_an_id_past_64_bits_in_any_path_is_a_404(app, client, world):
    login(client, world["admin"])  # sees everything: only the id can make it a 404
    statuses = {
        f"{method} {rule.rule} {name}": _call(
            client, method, _url(rule, {**world["values"], name: HUGE})
        )
        for rule, method in _rules(app)
        for name in _int_arguments(rule)
    }
    assert len(statuses) > 80
    # 405 where the same path has a route for another method (Werkzeug checks the method first).
    assert {route: s for route, s in statuses.items() if s not in {404, 405}} == {}


#: Every query-string argument a page reads as an id or a page number.
ID_ARGS = ("before", "cursor", "page", "consent", "project", "photo", "year")


@pytest.mark.parametrize("value", [HUGE, "\N{SUPERSCRIPT TWO}", "-1"])
def test_query_string_ids_out_of_range_are_never_a_500(app, client, world, value):
    login(client, world["admin"])
    query = "&".join(f"{name}={value}" for name in ID_ARGS)
    statuses = {
        rule.rule: _call(client, "GET", f"{_url(rule, world['values'])}?{query}")
        for rule, method in _rules(app)
        if method == "GET" and rule.endpoint not in {"accounts.logout", "static"}
    }
    assert {route: s for route, s in statuses.items() if s >= 500} == {}
