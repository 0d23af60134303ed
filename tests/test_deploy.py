"""The files in deploy/ are syntactically valid for the tools that read them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import TEST_PASSWORD
from trove.config import env_overrides

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
VENV_BIN = "/srv/trove/app/.venv/bin/"


def test_env_example_survives_the_shell_the_readme_sources_it_with():
    script = f'set -a && . "{DEPLOY / "trove.env.example"}" && set +a && "{sys.executable}" -c '
    script += '"import json, os; print(json.dumps(dict(os.environ)))"'
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env={}, check=False
    )
    assert result.returncode == 0, result.stderr
    environ = json.loads(result.stdout)
    assert environ["TROVE_LAB_NAME"] == "Vision Lab"
    settings = env_overrides(environ)
    assert settings["PROXY_FIX"] is True and settings["SESSION_COOKIE_SECURE"] is True
    assert settings["STORAGE_DIR"] == "/srv/trove/storage"


def test_systemd_units_verify(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (no systemd on this machine)")
    # The units name the production virtualenv; point them at this one so that
    # `verify` can check the commands exist, and give the template an instance.
    here = str(Path(sys.executable).parent) + "/"
    for name, target in (
        ("trove-web.service", "trove-web.service"),
        ("trove-worker@.service", "trove-worker@1.service"),
    ):
        text = (DEPLOY / name).read_text()
        assert VENV_BIN in text
        (tmp_path / target).write_text(text.replace(VENV_BIN, here))
    result = subprocess.run(
        ["systemd-analyze", "verify", "trove-web.service", "trove-worker@1.service"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "trove-web" not in result.stderr and "trove-worker" not in result.stderr


def _nginx() -> str:
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        pytest.skip("nginx is not installed (scripts/test.sh installs it)")
    return nginx


def _site_with_test_certificate(tmp_path: Path) -> str:
    """Return the deploy/ site with a throw-away certificate standing in for certbot's."""
    site = (DEPLOY / "nginx-trove.conf").read_text()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=photos.your-lab.org",
            "-keyout",
            str(tmp_path / "key.pem"),
            "-out",
            str(tmp_path / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    live = "/etc/letsencrypt/live/photos.your-lab.org/"
    site = site.replace(live + "fullchain.pem", str(tmp_path / "cert.pem"))
    return site.replace(live + "privkey.pem", str(tmp_path / "key.pem"))


def _wrapper(tmp_path: Path, site: str) -> Path:
    """Write a minimal nginx.conf around ``site`` under ``tmp_path``; return its path."""
    (tmp_path / "trove.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "") + f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\n"
        "events {}\n"
        "http {\n"
        f"    access_log off;\n"
        f"    client_body_temp_path {tmp_path}/body;\n"
        f"    proxy_temp_path {tmp_path}/proxy;\n"
        f"    include {tmp_path}/trove.conf;\n"
        "}\n"
    )
    return tmp_path / "nginx.conf"


def _nginx_command(tmp_path: Path, config: Path, *extra: str) -> list[str]:
    return [
        _nginx(),
        "-p",
        str(tmp_path),
        "-e",
        str(tmp_path / "error.log"),
        "-c",
        str(config),
        *extra,
    ]


def test_nginx_site_passes_nginx_t(tmp_path):
    _nginx()
    site = _site_with_test_certificate(tmp_path)
    result = subprocess.run(
        _nginx_command(tmp_path, _wrapper(tmp_path, site), "-t"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_nginx_sets_security_headers_on_offloaded_files():
    site = (DEPLOY / "nginx-trove.conf").read_text()
    protected = site.split("location /_protected/", 1)[1].split("}", 1)[0]
    assert "internal;" in protected
    assert "X-Content-Type-Options nosniff always" in protected
    assert "Content-Security-Policy" in protected


def test_the_storage_folder_is_created_at_start_up(make_app, tmp_path):
    storage = tmp_path / "srv" / "storage"
    make_app(STORAGE_DIR=str(storage))
    assert storage.is_dir()


def test_a_form_posted_through_nginx_on_a_non_default_port_passes_the_referrer_check(
    make_app, tmp_path
):
    """The site passes the port in Host: Flask-WTF compares it with the Referer over HTTPS."""
    import httpx

    from tests.conftest import LiveServer, _free_port
    from tests.factories import make_user

    _nginx()
    app = make_app(WTF_CSRF_ENABLED=True, PROXY_FIX=True, TASKS_MODE="sync")
    with app.app_context():
        make_user(email="ada@example.org")
    port = _free_port()
    site = _https_site_on(tmp_path, port)
    with LiveServer(app) as server:
        site = site.replace("http://127.0.0.1:8000", server.url)
        with _running_nginx(tmp_path, site, port):
            base = f"https://127.0.0.1:{port}"
            with httpx.Client(base_url=base, verify=False) as client:  # noqa: S501
                page = client.get("/login")
                assert page.status_code == 200
                token = re.search(r'"X-CSRFToken": "([^"]+)"', page.text).group(1)
                answer = client.post(
                    "/login",
                    data={
                        "csrf_token": token,
                        "email": "ada@example.org",
                        "password": TEST_PASSWORD,
                    },
                    headers={"Referer": f"{base}/login"},
                )
            assert answer.status_code == 303, answer.text[:500]


def _https_site_on(tmp_path: Path, port: int) -> str:
    """Return the site's HTTPS server (not the port-80 redirect) listening on ``port``."""
    head, _redirect, https = _site_with_test_certificate(tmp_path).split("server {", 2)
    site = head + "server {" + https.replace("listen [::]:443 ssl;", "")
    return site.replace("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")


@contextmanager
def _running_nginx(tmp_path: Path, site: str, port: int) -> Iterator[None]:
    """Run nginx on ``site`` in the foreground until the block ends."""
    from tests.conftest import _wait_for_port

    nginx = subprocess.Popen(
        _nginx_command(tmp_path, _wrapper(tmp_path, site), "-g", "daemon off;"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield
    finally:
        nginx.terminate()
        nginx.wait(30)


def test_nginx_caches_versioned_static_files_for_good(tmp_path):
    """A static URL with ?v=<hash> (as Trove renders them) is immutable; one without revalidates."""
    import httpx

    from tests.conftest import _free_port

    _nginx()
    port = _free_port()
    static = str(Path(__file__).resolve().parent.parent / "static") + "/"
    site = _https_site_on(tmp_path, port).replace("/srv/trove/app/static/", static)
    base = f"https://127.0.0.1:{port}"
    with _running_nginx(tmp_path, site, port), httpx.Client(base_url=base, verify=False) as client:  # noqa: S501
        versioned = client.get("/static/app.js?v=0123456789ab")
        plain = client.get("/static/app.js")
    assert versioned.status_code == 200 and plain.status_code == 200
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert plain.headers["Cache-Control"] == "no-cache"
    assert "Expires" not in plain.headers and "ETag" in plain.headers
