"""Outgoing e-mail, sent by a background job after the transaction that asked for it.

Backends (``MAIL_BACKEND``): ``smtp`` (``MAIL_SERVER`` and friends), ``log`` (the embedded
default: the message, links included, is written to the application log) and ``memory``
(kept in :data:`outbox`, for tests and demos).

Every link in an e-mail is built by :func:`site_url` from the configured ``BASE_URL``,
never from the request's ``Host`` or ``X-Forwarded-Host`` headers, which a client chooses.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app

from trove.tasks import enqueue, job

log = logging.getLogger(__name__)

#: Messages sent with the ``memory`` backend, newest last.
outbox: list[EmailMessage] = []


def site_url(path: str) -> str:
    """Return the absolute URL of the site-relative ``path``, from ``BASE_URL`` only."""
    base = current_app.config.get("BASE_URL")
    if not base:
        raise RuntimeError("BASE_URL is not configured; e-mailed links cannot be built")
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"site_url takes a path on this site, not {path!r}")
    return str(base).rstrip("/") + path


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text e-mail once the current transaction commits."""
    enqueue(deliver_mail, to, subject, body)


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    """Build the message with the lab's name as sender."""
    cfg = current_app.config
    message = EmailMessage()
    message["From"] = formataddr((cfg["LAB_NAME"], cfg["MAIL_FROM"]))
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=cfg["MAIL_FROM"].rpartition("@")[2] or None)
    message.set_content(body)
    return message


@job(queue="default", timeout=60, max_attempts=5)
def deliver_mail(to: str, subject: str, body: str) -> None:
    """Deliver one message through the configured backend."""
    cfg = current_app.config
    message = build_message(to, subject, body)
    backend = cfg["MAIL_BACKEND"]
    if backend == "memory":
        outbox.append(message)
    elif backend == "log":
        log.info("e-mail (not sent: no MAIL_SERVER configured)\n%s", message.as_string())
    elif backend == "smtp":
        timeout = int(cfg["MAIL_TIMEOUT"])
        if cfg["MAIL_USE_SSL"]:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                cfg["MAIL_SERVER"],
                int(cfg["MAIL_PORT"]),
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"]), timeout=timeout)
        with smtp:
            if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
                smtp.starttls(context=ssl.create_default_context())
            if cfg["MAIL_USERNAME"]:
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    else:
        raise ValueError(f"unknown MAIL_BACKEND {backend!r}")
