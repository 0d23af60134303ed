"""App-wide behaviour: configuration, headers, error pages, static assets, CLI."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import login
from tests.factories import make_user
from trove import create_app
from trove.accounts.models import Role, User
from trove.config import env_overrides, load_secret_key
from trove.extensions import db
from trove.security import CONTENT_SECURITY_POLICY, safe_next

ROOT = Path(__file__).resolve().parent.parent


def test_secret_key_is_generated_once_into_instance_folder(tmp_path):
    first = load_secret_key(str(tmp_path))
    assert len(first) == 64
    assert load_secret_key(str(tmp_path)) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_env_overrides_are_typed():
    found = env_overrides(
        {
            "TROVE_MAX_UPLOAD_MB": "7",
            "TROVE_RATELIMIT_ENABLED": "false",
            "REDIS_URL": "redis://x",
            "TROVE_LAB_NAME": "Vision Lab",
            "UNRELATED": "1",
        }
    )
    assert found == {
        "MAX_UPLOAD_MB": 7,
        "RATELIMIT_ENABLED": False,
        "REDIS_URL": "redis://x",
        "LAB_NAME": "Vision Lab",
    }
    with pytest.raises(ValueError, match="whole number"):
        env_overrides({"TROVE_MAX_UPLOAD_MB": "lots"})


def test_env_layer_overrides_instance_config(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text('LAB_NAME = "From file"\nMAX_UPLOAD_MB = 3\n')
    monkeypatch.setenv("TROVE_LAB_NAME", "From env")
    app = create_app.__wrapped__(tmp_path) if hasattr(create_app, "__wrapped__") else None
    from flask import Flask

    from trove.config import configure

    app = Flask("x", instance_path=str(tmp_path), instance_relative_config=True)
    configure(app, None)
    assert app.config["LAB_NAME"] == "From env"
    assert app.config["MAX_UPLOAD_MB"] == 3
    assert app.config["TASKS_MODE"] == "thread"
    assert (tmp_path / "secret_key").exists()


def test_each_host_keeps_its_instance_folder_where_trove_instance_path_says(
    tmp_path, monkeypatch
):
    folder = tmp_path / "host-a"
    folder.mkdir()
    (folder / "config.py").write_text('LAB_NAME = "Host A"\n')
    monkeypatch.setenv("TROVE_INSTANCE_PATH", str(folder))
    monkeypatch.setenv("TROVE_DATABASE_URL", f"sqlite:///{tmp_path / 'shared.sqlite3'}")
    app = create_app()
    assert app.instance_path == str(folder)
    assert app.config["LAB_NAME"] == "Host A"  # its own config.py
    assert app.config["STORAGE_DIR"] == str(folder / "storage")
    assert (folder / "secret_key").exists()  # no TROVE_SECRET_KEY: generated there


def test_security_headers_on_every_page(client):
    response = client.get("/")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_httponly_and_samesite(app, client):
    with app.app_context():
        make_user(email="u@example.org")
    response = client.post(
        "/login", data={"email": "u@example.org", "password": "correct horse battery"}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_cookies_are_secure_when_configured_for_https(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    with app.app_context():
        make_user(email="s@example.org")
    client = app.test_client()
    response = client.post(
        "/login",
        data={"email": "s@example.org", "password": "correct horse battery", "remember": "y"},
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c and "HttpOnly" in c for c in cookies), cookies


def test_no_inline_script_or_style_in_templates():
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        assert "<style" not in text, path
        assert " style=" not in text, path
        assert " hx-on" not in text, path
        for tag in text.split("<script")[1:]:
            # Code comes from files; an inline block may only carry data (JSON, never run).
            opening = tag.split(">")[0]
            assert "src=" in opening or 'type="application/json"' in opening, path


@pytest.mark.parametrize(("url", "code"), [("/no-such-page", 404), ("/logout", 405)])
def test_error_pages_are_pages_or_fragments(client, url, code):
    page = client.get(url)
    assert page.status_code == code and b"<html" in page.data
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == code
    assert b"<html" not in fragment.data and b"error-message" in fragment.data


def test_413_has_friendly_message(make_app):
    app = make_app(MAX_UPLOAD_MB=1)
    response = app.test_client().post("/signup", data={"blob": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert b"larger than the 1 MB" in response.data


def test_unexpected_error_renders_500_page(make_app):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert b"Something went wrong" in response.data and b"kaboom" not in response.data


def test_login_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute")
    client = app.test_client()
    codes = [
        client.post("/login", data={"email": "a@example.org", "password": "x"}).status_code
        for _ in range(4)
    ]
    assert codes == [422, 422, 422, 429]
    response = client.post(
        "/login", data={"email": "a@example.org", "password": "x"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 429 and b"Too many attempts" in response.data


def test_signup_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGNUP="2 per minute")
    client = app.test_client()
    codes = [client.post("/signup", data={}).status_code for _ in range(3)]
    assert codes[-1] == 429


def test_csrf_is_enforced_when_enabled(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/signup", data={"email": "a@example.org"})
    assert response.status_code == 400
    assert b"CSRF" in response.data


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/projects/1", "/projects/1"),
        ("https://evil.example", "/"),
        ("//evil", "/"),
        ("/\\evil", "/"),
        ("", "/"),
        (None, "/"),
        ("relative", "/"),
        ("/ok?x=1", "/ok?x=1"),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target, "/") == expected


def test_vendored_htmx_matches_its_checksum():
    folder = ROOT / "static" / "vendor" / "htmx-2.0.11"
    expected, name = (folder / "SHA256SUMS").read_text().split()
    assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == expected
    assert (folder / "LICENSE").exists()
    assert 'version:"2.0.11"' in (folder / name).read_text()


def test_vendored_tus_client_matches_its_checksum():
    folder = ROOT / "static" / "vendor" / "tus-js-client-4.3.1"
    expected, name = (folder / "SHA256SUMS").read_text().split()
    assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == expected
    assert "MIT License" in (folder / "LICENSE").read_text()


def test_base_template_configures_htmx_strictly(client):
    page = client.get("/").data.decode()
    assert '"allowEval": false' in page and '"includeIndicatorStyles": false' in page
    assert "X-CSRFToken" in page


def test_create_admin_command(app, runner):
    result = runner.invoke(
        args=["trove", "create-admin", "Boss@Example.org", "--password", "long enough pw"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert (
            db.session.scalar(select(User.role).where(User.email == "boss@example.org"))
            is Role.ADMIN
        )
    short = runner.invoke(args=["trove", "create-admin", "b@example.org", "--password", "short"])
    assert short.exit_code != 0 and "at least 10" in short.output


def test_seed_demo_fills_an_empty_database_and_prints_logins(app, runner, client):
    result = runner.invoke(args=["trove", "seed-demo"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "admin@demo.trove" in line)
    password = line.split("password:")[1].strip()
    login(client, "admin@demo.trove", password)
    assert client.get("/admin/").status_code == 200
    again = runner.invoke(args=["trove", "seed-demo"])
    assert again.exit_code != 0 and "already has accounts" in again.output
    assert b"Empty shelves in corner shops" in client.get("/projects").data
    assert runner.invoke(args=["trove", "seed-demo", "--if-empty"]).exit_code == 0


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_admin_dashboard_shows_in_process_mode(app, client):
    with app.app_context():
        make_user(Role.ADMIN, email="admin@example.org")
    login(client, "admin@example.org")
    page = client.get("/admin/").data
    assert b"Jobs run inside the web process" in page
