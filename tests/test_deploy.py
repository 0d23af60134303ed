"""The files in deploy/ are syntactically valid for the tools that read them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_nginx_site_passes_nginx_t(tmp_path):
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        pytest.skip("nginx is not installed (scripts/test.sh installs it)")
    site = (DEPLOY / "nginx-trove.conf").read_text()
    assert "proxy_set_header Host $http_host;" in site  # keeps a non-443 port
    # A throw-away certificate stands in for certbot's.
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
    site = site.replace(live + "privkey.pem", str(tmp_path / "key.pem"))
    (tmp_path / "trove.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\n"
        "events {}\n"
        "http {\n"
        f"    access_log off;\n"
        f"    client_body_temp_path {tmp_path}/body;\n"
        f"    proxy_temp_path {tmp_path}/proxy;\n"
        f"    include {tmp_path}/trove.conf;\n"
        "}\n"
    )
    result = subprocess.run(
        [
            nginx,
            "-t",
            "-p",
            str(tmp_path),
            "-e",
            str(tmp_path / "error.log"),
            "-c",
            str(tmp_path / "nginx.conf"),
        ],
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
