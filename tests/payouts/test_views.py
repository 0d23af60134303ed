"""Payout pages over HTTP: who may see and do what, the manual flow, exports, my earnings."""

from __future__ import annotations

import pytest

from tests.conftest import login, seed_once
from tests.factories import make_user
from tests.payouts.conftest import build_team
from trove.accounts.models import Role
from trove.extensions import db
from trove.payouts import service
from trove.payouts.models import PayoutBatch

HX = {"HX-Request": "true"}


@pytest.fixture
def world(app):
    return seed_once(app, _build_world)


def _build_world(app):
    with app.test_request_context("/"):
        team = build_team({"a@pay.example": 2, "b@pay.example": 1})
        [batch] = service.prepare_batch(team.project, team.finance)
        db.session.commit()
        people = {
            "contributor": team.contributors[0].email,
            "outsider": make_user(Role.LAB_MEMBER).email,
            "reviewer": team.reviewer.email,
            "finance": team.finance.email,
            "owner": team.owner.email,
            "admin": make_user(Role.ADMIN).email,
        }
        return {"project_id": team.project.id, "batch_id": batch.id, "people": people}


FINANCE_PAGES = [
    "/projects/{project_id}/payouts",
    "/payouts/batches/{batch_id}",
    "/projects/{project_id}/payouts/export.csv",
    "/projects/{project_id}/payouts/payees.csv",
]


@pytest.mark.parametrize("path", FINANCE_PAGES)
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("contributor", 403),
        ("outsider", 403),
        ("reviewer", 403),
        ("finance", 200),
        ("owner", 200),
        ("admin", 200),
    ],
)
def test_finance_pages_by_role(client, world, path, who, expected):
    if who != "anonymous":
        login(client, world["people"][who])
    response = client.get(path.format(**world))
    assert response.status_code == expected


@pytest.mark.parametrize("action", ["approve", "cancel", "send", "refresh", "mark"])
@pytest.mark.parametrize("who", ["contributor", "outsider", "reviewer"])
def test_batch_actions_are_refused_outside_finance(client, world, action, who):
    login(client, world["people"][who])
    response = client.post(f"/payouts/batches/{world['batch_id']}/{action}", headers=HX)
    assert response.status_code == 403


def test_unknown_batch_is_404(client, world):
    login(client, world["people"]["finance"])
    assert client.get("/payouts/batches/99999").status_code == 404


def test_manual_flow_over_http(app, client, world):
    login(client, world["people"]["finance"])
    batch_url = f"/payouts/batches/{world['batch_id']}"
    page = client.get(batch_url).data.decode()
    assert "Draft" in page and "$4.50" in page
    assert client.post(f"{batch_url}/approve", headers=HX).status_code == 200
    response = client.post(f"{batch_url}/send", headers=HX)
    assert response.status_code == 200
    assert "Awaiting manual payment" in response.data.decode()
    upload = client.get(f"{batch_url}/paypal.csv")
    assert upload.status_code == 200 and upload.mimetype == "text/csv"
    assert "a@pay.example,3.00,USD" in upload.data.decode()
    bad = client.post(f"{batch_url}/mark", data={"outcome": "maybe", "all": "1"}, headers=HX)
    assert bad.status_code == 422 and "Choose paid or failed." in bad.data.decode()
    done = client.post(f"{batch_url}/mark", data={"outcome": "paid", "all": "1"}, headers=HX)
    assert done.status_code == 200 and "Completed" in done.data.decode()
    with app.app_context():
        assert db.session.get(PayoutBatch, world["batch_id"]).status.value == "completed"
    client.post("/logout")
    login(client, world["people"]["contributor"])
    mine = client.get("/me/earnings").data.decode()
    assert "$3.00" in mine and "Paid" in mine


def test_an_approved_batch_cannot_be_approved_twice(client, world):
    login(client, world["people"]["finance"])
    url = f"/payouts/batches/{world['batch_id']}/approve"
    assert client.post(url, headers=HX).status_code == 200
    again = client.post(url, headers=HX)
    assert again.status_code == 409 and "Only a draft batch" in again.data.decode()


def test_bad_export_dates_are_a_clear_400(client, world):
    login(client, world["people"]["finance"])
    path = f"/projects/{world['project_id']}/payouts/export.csv"
    response = client.get(path + "?from=yesterday")
    assert response.status_code == 400 and "2026-01-31" in response.data.decode()
    assert client.get(path + "?from=2026-05-01&to=2026-01-01").status_code == 400


def test_my_earnings_empty_state_and_privacy(app, client, world):
    with app.app_context():
        email = make_user().email
    login(client, email)
    page = client.get("/me/earnings").data.decode()
    assert "Nothing earned yet" in page and "a@pay.example" not in page
    client.post("/logout")
    assert client.get("/me/earnings").status_code == 302


def test_my_earnings_asks_for_a_paypal_address(app, client):
    with app.test_request_context("/"):
        team = build_team({"": 1})
        email = team.contributors[0].email
    login(client, email)
    assert "Add your PayPal e-mail address" in client.get("/me/earnings").data.decode()
