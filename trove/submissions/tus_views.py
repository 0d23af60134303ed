"""The tus 1.0 endpoint: resumable photo uploads (rules in :mod:`trove.submissions.tus`).

``POST /projects/<id>/uploads`` creates an upload (``Upload-Length``; ``Upload-Metadata``
with ``filename`` and ``consent``, the brief version agreed to) and answers 201 with its
``Location``; ``HEAD`` on that URL gives the offset, ``PATCH`` adds bytes, ``DELETE``
terminates it. The session cookie and the CSRF header authenticate, as on every upload.
Errors are plain text with the reason; the PATCH that completes an upload answers 204 and
names the photo in ``X-Trove-Submission``.
"""

from __future__ import annotations

from datetime import UTC
from email.utils import format_datetime

from flask import Blueprint, Response, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from trove.errors import DomainError
from trove.extensions import db, limiter
from trove.ids import parse_id
from trove.projects.access import load_project
from trove.submissions import tus
from trove.submissions.models import Submission, TusUpload
from trove.submissions.views import body_stream, remaining_uploads

bp = Blueprint("tus", __name__)


@bp.before_request
def check_version() -> Response | None:
    """Refuse a request for another protocol version (412), and anonymous ones (401)."""
    if request.method == "OPTIONS":
        return None
    if request.headers.get("Tus-Resumable") != tus.TUS_VERSION:
        return _error(f"This server speaks tus {tus.TUS_VERSION}.", 412)
    if not current_user.is_authenticated:
        return _error(_("You were signed out. Sign in again to send this photo."), 401)
    return None


@bp.after_request
def protocol_headers(response: Response) -> Response:
    """Name the protocol version on every answer and keep offsets out of caches."""
    response.headers["Tus-Resumable"] = tus.TUS_VERSION
    response.headers["Tus-Version"] = tus.TUS_VERSION  # required on OPTIONS and on 412
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(HTTPException)
def plain_error(error: HTTPException) -> Response:
    """Answer protocol clients in text (a stale CSRF token, a rate limit), never a page."""
    return _error(error.description or error.name, error.code or 400)


@bp.route("/projects/<int:project_id>/uploads", methods=["OPTIONS"])
@bp.route("/uploads/<token>", methods=["OPTIONS"])
def capabilities(project_id: int | None = None, token: str | None = None) -> Response:
    """Say which tus version, extensions, checksums and largest size this server offers."""
    response = Response(status=204)
    response.headers["Tus-Extension"] = tus.EXTENSIONS
    response.headers["Tus-Checksum-Algorithm"] = ",".join(tus.CHECKSUMS)
    response.headers["Tus-Max-Size"] = str(int(current_app.config["MAX_UPLOAD_MB"]) << 20)
    return response


@bp.route("/projects/<int:project_id>/uploads", methods=["POST"], provide_automatic_options=False)
@limiter.limit(lambda: current_app.config["RATELIMIT_UPLOAD"], methods=["POST"])
def create(project_id: int) -> Response:
    """Announce a photo: its length, name and the brief version agreed to."""
    project = load_project(project_id)
    try:
        length = _int_header("Upload-Length")
        metadata = tus.parse_metadata(request.headers.get("Upload-Metadata", ""))
        upload = tus.create_upload(
            project,
            current_user,  # type: ignore[arg-type]
            length,
            metadata.get("filename") or metadata.get("name"),
            parse_id(metadata.get("consent", "")),
        )
    except DomainError as error:
        db.session.rollback()
        return _error(error.message, error.status)
    db.session.commit()
    response = Response(status=201)
    response.headers["Location"] = url_for("tus.patch", token=upload.token)
    response.headers["Upload-Expires"] = _http_date(upload)
    return response


@bp.route("/uploads/<token>", methods=["HEAD"], provide_automatic_options=False)
def head(token: str) -> Response:
    """Say how many bytes of the upload the server holds."""
    try:
        upload = tus.load_upload(token, current_user)  # type: ignore[arg-type]
    except DomainError as error:
        return _error(error.message, error.status)
    return _offset_response(upload, 200)


@bp.route("/uploads/<token>", methods=["PATCH"], provide_automatic_options=False)
def patch(token: str) -> Response:
    """Add the body to the upload at ``Upload-Offset``; the last byte makes the photo."""
    try:
        upload = tus.load_upload(token, current_user)  # type: ignore[arg-type]
        if request.mimetype != "application/offset+octet-stream":  # after: another's is a 404
            return _error("PATCH bodies must be application/offset+octet-stream.", 415)
        offset = _int_header("Upload-Offset")
        submission = tus.append_bytes(
            upload,
            current_user,  # type: ignore[arg-type]
            offset,
            body_stream(),
            content_length=request.content_length,
            checksum=tus.parse_checksum(request.headers.get("Upload-Checksum")),
            checkpoint=_checkpoint,
        )
    except tus.Refused as error:
        return _ended(token, error)
    except DomainError as error:
        return _not_appended(token, error)
    response = _offset_response(upload, 204, submission)
    db.session.commit()
    if submission is not None:
        tus.discard_pieces(token)
    return response


def _checkpoint() -> None:
    """Commit a piece of a long body, keeping what the request loaded (no reloads after).

    The upload's offset moves by a check-and-set that ``append_bytes`` follows itself; the
    project and the contributor are as fresh as on the raw-body path, which also reads
    them once, before the body.
    """
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _ended(token: str, error: tus.Refused) -> Response:
    """The finished photo was refused: the upload ends and its pieces go."""
    db.session.rollback()
    tus.terminate_upload(tus.load_upload(token, current_user))  # type: ignore[arg-type]
    db.session.commit()
    tus.discard_pieces(token)
    return _error(error.message, error.status)


def _not_appended(token: str, error: DomainError) -> Response:
    """The body was not taken; a 409 says where to resume from (for the next HEAD)."""
    db.session.rollback()
    response = _error(error.message, error.status)
    if error.status == 409:
        current = db.session.scalar(db.select(TusUpload.received).where(TusUpload.token == token))
        response.headers["Upload-Offset"] = str(current)
    return response


@bp.route("/uploads/<token>", methods=["DELETE"], provide_automatic_options=False)
def terminate(token: str) -> Response:
    """Cancel an unfinished upload and delete what arrived of it."""
    try:
        tus.terminate_upload(tus.load_upload(token, current_user))  # type: ignore[arg-type]
    except DomainError as error:
        db.session.rollback()
        return _error(error.message, error.status)
    db.session.commit()
    tus.discard_pieces(token)
    return Response(status=204)


def _offset_response(
    upload: TusUpload, status: int, submission: Submission | None = None
) -> Response:
    response = Response(status=status)
    response.headers["Upload-Offset"] = str(upload.received)
    response.headers["Upload-Length"] = str(upload.length)
    if upload.submission_id is not None:
        response.headers["X-Trove-Submission"] = str(upload.submission_id)
    else:
        response.headers["Upload-Expires"] = _http_date(upload)
    if submission is not None:  # just made: the count its spot reservation returned
        left = submission.spots_left
        response.headers["X-Trove-Remaining"] = str(
            remaining_uploads(upload.project) if left is None else left
        )
    return response


def _int_header(name: str) -> int:
    raw = request.headers.get(name, "")
    if not raw.isdigit():
        raise DomainError(f"{name} must be a non-negative integer.", status=400)
    return int(raw)


def _http_date(upload: TusUpload) -> str:
    return format_datetime(upload.expires_at.replace(tzinfo=UTC), usegmt=True)


def _error(message: str, status: int) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")
