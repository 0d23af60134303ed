"""Configuration: defaults here, then ``instance/config.py``, then ``TROVE_*`` variables."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask

#: Every setting Trove reads, with its default. README.md documents each one.
DEFAULTS: dict[str, Any] = {
    # Core
    "INSTANCE_PATH": None,  # env only (TROVE_INSTANCE_PATH), read by create_app
    "SECRET_KEY": None,  # generated into the instance folder on first run
    "DATABASE_URL": None,  # default: SQLite file in the instance folder
    "REDIS_URL": None,  # unset: jobs run in-process
    "STORAGE_DIR": None,  # default: <instance>/storage
    "STORAGE_URL": None,  # file:///dir or s3://bucket/prefix; default: file:// of STORAGE_DIR
    "S3_ENDPOINT_URL": None,  # S3-compatible servers (MinIO, SeaweedFS, …); unset: AWS
    "S3_REGION": None,
    "S3_ACCESS_KEY_ID": None,  # unset: boto3's usual credential chain
    "S3_SECRET_ACCESS_KEY": None,
    "S3_PRESIGN_SECONDS": 0,  # >0: images redirect to a presigned URL this long (max 60)
    "LAB_NAME": "Trove Lab",
    "BASE_URL": None,  # absolute URL of e-mailed links; required with SMTP (never the Host)
    "TRUSTED_HOSTS": None,  # host names the app answers to, e.g. "photos.lab.org"; unset: any
    "SESSION_COOKIE_SECURE": False,
    "PREFERRED_URL_SCHEME": "http",
    "PROXY_FIX": False,  # trust one reverse proxy's X-Forwarded-* headers
    # Uploads
    "MAX_UPLOAD_MB": 25,  # per photo
    "MAX_FILES_PER_REQUEST": 20,  # photos one form (without JavaScript) may carry
    "MAX_IMAGE_MEGAPIXELS": 100,
    "MAX_DECODED_MB": 192,  # memory one decoded picture may take (refused before decoding)
    "TUS_EXPIRE_HOURS": 24,  # an unfinished resumable upload lives this long after its last byte
    "TUS_BUDGET_MB": 250,  # unfinished resumable uploads one contributor may hold at once
    # Accounts
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,  # KiB
    "PASSWORD_RESET_MAX_AGE": 3600,  # seconds
    "SIGNIN_LINK_MAX_AGE": 900,  # seconds an e-mailed sign-in link works (once)
    "EMAIL_CHANGE_MAX_AGE": 86400,  # seconds a link confirming a new e-mail address works
    "SIGNUP_CONFIRM_MAX_AGE": 86400,  # seconds the link that finishes a sign-up works (once)
    "INVITATION_MAX_AGE_DAYS": 7,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_LOGIN": "10 per minute;50 per hour",  # failed sign-ins per address
    "RATELIMIT_LOGIN_ACCOUNT": "5 per minute;20 per hour",  # failed, per account and address
    "RATELIMIT_SIGNUP": "5 per minute;30 per hour",
    "RATELIMIT_RESET": "5 per minute;20 per hour",
    "RATELIMIT_UPLOAD": "60 per minute;1000 per hour",
    "RATELIMIT_POST": "10 per minute;100 per day",
    "RATELIMIT_TEAM_ADD": "10 per minute;50 per hour",  # adding people to a team, per account
    # Jobs
    "TASKS_MODE": None,  # "rq" | "thread" | "sync"; default: rq with REDIS_URL, else thread
    "JOB_STUCK_AFTER_SECONDS": 600,
    "JOB_RETRY_DELAYS": [10, 60, 300],  # seconds before each new attempt of a failed job (RQ)
    "WORKER_HEARTBEAT_SECONDS": 5,  # how often a worker notes it is alive
    "WORKER_DEAD_AFTER_SECONDS": 45,  # a worker silent this long is gone; its job moves on
    "WORKER_MAINTENANCE_SECONDS": 10,  # an idle worker's scheduler check and orphan hand-over
    "WORKER_DEQUEUE_SECONDS": 15,  # one blocking wait for jobs (Redis socket timeout + 10 s)
    "SCHEDULER_LOCK_STALE_SECONDS": 15,  # an RQ scheduler lock unrenewed this long is freed
    "SWEEP_INTERVAL_SECONDS": 60,  # the full sweep, once across all workers
    # Mail
    "MAIL_BACKEND": None,  # "smtp" | "log" | "memory"; default: smtp with MAIL_SERVER, else log
    "MAIL_SERVER": None,
    "MAIL_PORT": 587,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_USE_TLS": True,
    "MAIL_USE_SSL": False,
    "MAIL_FROM": "trove@localhost",
    "MAIL_TIMEOUT": 20,
    # PayPal
    "PAYPAL_CLIENT_ID": None,
    "PAYPAL_CLIENT_SECRET": None,
    "PAYPAL_BASE_URL": "https://api-m.sandbox.paypal.com",
    "PAYPAL_WEBHOOK_ID": None,
    "PAYPAL_POLL_SECONDS": 300,  # how often batches still with PayPal are checked
    "PAYPAL_ID_PREFIX": "trove",  # prefix of sender_batch_id; unique per instance and database
    # Payouts
    "PAYOUT_MINIMUM_MINOR": 100,  # smallest payment per contributor, in minor units
    "PAYOUT_FOUR_EYES": False,  # a batch must be approved by someone other than its preparer
    # Serving images behind a proxy: "" | "nginx" (X-Accel-Redirect) | "sendfile" (X-Sendfile)
    "IMAGE_OFFLOAD": "",
    # Compression (Flask-Compress) of text answers: pages, fragments, CSS, JS, JSON. Images
    # and archives are compressed already and keep their bytes. Streamed answers are left
    # alone (trove.static buffers the small static files so that they are compressed too).
    "COMPRESS_MIMETYPES": [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "image/svg+xml",
    ],
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_STREAMS": False,
}

#: BASE_URL when mail is only logged (or kept in memory): the address ``scripts/serve.sh`` uses.
LOCAL_BASE_URL = "http://127.0.0.1:5000"

_BOOL_TRUE = {"1", "true", "yes", "on"}
_BOOL_FALSE = {"0", "false", "no", "off", ""}


def _coerce(name: str, raw: str, default: Any) -> Any:
    """Turn an environment string into the type of its default."""
    if isinstance(default, bool):
        value = raw.strip().lower()
        if value in _BOOL_TRUE:
            return True
        if value in _BOOL_FALSE:
            return False
        raise ValueError(f"TROVE_{name} must be true or false, not {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"TROVE_{name} must be a whole number, not {raw!r}") from None
    if raw.startswith(("{", "[")):
        return json.loads(raw)
    return raw


def env_overrides(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Read ``TROVE_*`` variables (and bare DATABASE_URL / REDIS_URL) into settings."""
    environ = dict(os.environ if environ is None else environ)
    found: dict[str, Any] = {}
    for bare in ("DATABASE_URL", "REDIS_URL"):
        if environ.get(bare):
            found[bare] = environ[bare]
    for key, raw in environ.items():
        if key.startswith("TROVE_"):
            name = key.removeprefix("TROVE_")
            found[name] = _coerce(name, raw, DEFAULTS.get(name))
    return found


def load_secret_key(instance_path: str) -> str:
    """Return the instance's secret key, generating it on first run."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    try:
        # Another process may have won the race; keep whichever key landed first.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()


#: Written by ``flask trove storage migrate`` once every object is copied and verified.
STORAGE_SWITCH_FILE = "storage_url"


def configure_storage(config: dict[str, Any], instance: Path | None) -> None:
    """Settle ``STORAGE_URL``: set, else the instance's switch file, else ``STORAGE_DIR``."""
    url = config.get("STORAGE_URL")
    switch = instance / STORAGE_SWITCH_FILE if instance is not None else None
    if not url and switch is not None and switch.is_file():
        url = switch.read_text().strip()
    if not url:
        url = Path(config["STORAGE_DIR"]).resolve().as_uri()
    if url.startswith("file://"):
        config["STORAGE_DIR"] = storage_dir_of(url)
    elif not url.startswith("s3://"):
        raise ValueError(f"TROVE_STORAGE_URL must be file:///… or s3://…, not {url!r}")
    elif config.get("IMAGE_OFFLOAD"):
        raise ValueError(
            "TROVE_IMAGE_OFFLOAD hands local files to the proxy; with s3:// storage leave it "
            "empty (and see TROVE_S3_PRESIGN_SECONDS)"
        )
    config["STORAGE_URL"] = url
    seconds = int(config.get("S3_PRESIGN_SECONDS") or 0)
    if not 0 <= seconds <= 60:
        raise ValueError("TROVE_S3_PRESIGN_SECONDS must be between 0 (stream) and 60")
    config["S3_PRESIGN_SECONDS"] = seconds


def storage_dir_of(url: str) -> str:
    """Return the directory of a ``file:///…`` storage URL."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost") or not parts.path:
        raise ValueError(f"not a file:///absolute/path URL: {url!r}")
    return unquote(parts.path)


def configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Layer defaults, the instance config file and the environment onto ``app.config``."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(env_overrides())
    else:
        app.config.update(test_config)

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'trove.sqlite3'}"
    if not app.config["STORAGE_DIR"]:
        app.config["STORAGE_DIR"] = str(instance / "storage")
    configure_storage(app.config, instance if test_config is None else None)
    if not app.config["TASKS_MODE"]:
        app.config["TASKS_MODE"] = "rq" if app.config["REDIS_URL"] else "thread"
    if not app.config["MAIL_BACKEND"]:
        app.config["MAIL_BACKEND"] = "smtp" if app.config["MAIL_SERVER"] else "log"
    app.config["BASE_URL"] = _base_url(app.config["BASE_URL"], app.config["MAIL_BACKEND"])
    hosts = app.config["TRUSTED_HOSTS"]
    if isinstance(hosts, str):
        hosts = [h.strip() for h in hosts.split(",") if h.strip()]
    app.config["TRUSTED_HOSTS"] = hosts or None

    url = app.config["DATABASE_URL"]
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    else:
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})

    # The upload form may carry MAX_FILES_PER_REQUEST photos (trove.files.TroveRequest).
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_UPLOAD_MB"]) * 1024 * 1024 + 65536
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # tied to the session instead
    app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    # Redis down must not turn sign-in or uploads into 500s: each process then limits on its
    # own, in memory (Flask-Limiter logs "falling back to in-memory storage"), and goes back
    # to Redis once it answers again. A Redis that hangs fails fast instead of holding the
    # request.
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    app.config["RATELIMIT_SWALLOW_ERRORS"] = True
    if app.config["REDIS_URL"]:
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 2, "socket_connect_timeout": 2}
        )


def _base_url(configured: str | None, mail_backend: str) -> str:
    """Return the base URL of e-mailed links; refuse to start without one when mail is real."""
    if not configured:
        if mail_backend == "smtp":
            raise RuntimeError(
                "TROVE_BASE_URL is not set. E-mailed links (password resets, sign-in links, "
                "invitations) are built from it, never from the request's Host header; set it "
                "to the site's public address, e.g. TROVE_BASE_URL=https://photos.your-lab.org"
            )
        return LOCAL_BASE_URL
    parts = urlsplit(configured)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise RuntimeError(
            f"TROVE_BASE_URL must look like https://photos.your-lab.org, not {configured!r}"
        )
    return configured.rstrip("/")
