"""Uploading photos, "My photos", status polling and access-checked images."""

from __future__ import annotations

from typing import BinaryIO
from urllib.parse import unquote

from flask import Blueprint, Response, abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from trove.audit.service import record_event
from trove.errors import DomainError
from trove.extensions import db, limiter
from trove.files import get_storage, send_private_file
from trove.htmx import is_fragment_request, redirect_after_change, render
from trove.ids import parse_id
from trove.projects.access import load_project
from trove.projects.models import Project
from trove.submissions import access, service
from trove.submissions.access import load_submission
from trove.submissions.models import Submission, SubmissionStatus
from trove.submissions.reasons import decline_reason
from trove.submissions.thumbs import SERVED_SIZES, card_sources

bp = Blueprint("submissions", __name__)

MIMETYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@bp.app_template_global("remaining_uploads")
def remaining_uploads(project: object) -> int:
    """Return how many more photos the current user may send to ``project``."""
    if not current_user.is_authenticated or not project.accepts_uploads:  # type: ignore[attr-defined]
        return 0
    return service.remaining_for(project, current_user)  # type: ignore[arg-type]


@bp.app_template_global("upload_refusal")
def upload_refusal(project: Project) -> str | None:
    """Return why the current user may send no more photos to the open ``project``."""
    return service.quota_refusal(project, current_user)  # type: ignore[arg-type]


bp.add_app_template_global(decline_reason)


def _version_id() -> int | None:
    raw = request.form.get("consent") or request.args.get("consent", "")
    return parse_id(raw)


def _is_raw_body() -> bool:
    """Whether the photo is the request body itself (the upload script) or a form field."""
    return request.mimetype == "application/octet-stream" or request.mimetype.startswith("image/")


def _incoming() -> list[tuple[BinaryIO, str | None, int | None]]:
    """Return (stream, file name, announced size) for each photo in the request.

    The upload script sends one photo as the whole body, its name percent-encoded in
    ``X-Trove-Filename`` and the consent in the query string: the bytes go straight from
    the socket into quarantine, hashed on the way, with no multipart parsing or spooling;
    a body shorter than its Content-Length was cut off. A browser without JavaScript posts
    the form (one or more files, multipart; a form cut off before its end parses as empty).
    """
    if _is_raw_body():
        name = unquote(request.headers.get("X-Trove-Filename", ""), errors="replace")
        return [(body_stream(), name or None, request.content_length)]
    return [
        (f.stream, f.filename, None) for f in request.files.getlist("photos") if f and f.filename
    ]


def body_stream() -> BinaryIO:
    """Return the body of a raw upload (or a tus PATCH), unwrapped when the server ends it.

    A server that marks its input terminated (gunicorn) returns end-of-file at the end of
    the body, and ``save_quarantine`` stops at the photo limit and checks the announced
    length, so werkzeug's ``LimitedStream`` on top would only add a Python read loop and
    a copy per chunk. An announced length over the request limit is refused first (413).
    """
    environ = request.environ
    if not environ.get("wsgi.input_terminated"):
        return request.stream
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    return environ["wsgi.input"]


@bp.post("/projects/<int:project_id>/submissions")
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_UPLOAD"], methods=["POST"])
def upload(project_id: int) -> Response:
    """Receive one photo (or several, without JavaScript) for the project."""
    project = load_project(project_id)
    files = _incoming()
    if not files:
        return _upload_error(project.id, _("Choose at least one photo."), 422)
    most = int(current_app.config["MAX_FILES_PER_REQUEST"])
    errors = [
        (
            service.clean_filename(filename),
            _("Only %(most)s photos can be sent at once; send this one again.", most=most),
        )
        for _stream, filename, _size in files[most:]
    ]
    accepted, answer = _receive_each(project, files[:most], errors)
    if answer is not None:
        return answer
    return _uploads_received(project, accepted, errors)


def _receive_each(
    project: Project,
    files: list[tuple[BinaryIO, str | None, int | None]],
    errors: list[tuple[str, str]],
) -> tuple[int, Response | None]:
    """Quarantine each photo, committing one by one; return how many were accepted and,
    for htmx, the answer (the first photo's card, or the first refusal)."""
    accepted, card = 0, None
    for stream, filename, size in files:
        try:
            submission = service.receive_upload(
                project, current_user, stream, filename, _version_id(), expected_bytes=size
            )
        except DomainError as error:
            db.session.rollback()
            errors.append((service.clean_filename(filename), error.message))
            if is_fragment_request():
                return accepted, _upload_error(project.id, error.message, error.status)
        else:
            if is_fragment_request() and card is None:
                # Rendered inside the transaction (it shows what is about to be committed),
                # so nothing the commit expires has to be loaded again.
                card = _uploaded_card(project, submission)
            db.session.commit()
            accepted += 1
    return accepted, card


def _uploads_received(project: Project, accepted: int, errors: list[tuple[str, str]]) -> Response:
    """Answer the form without JavaScript: what was received and why the rest was not."""
    if accepted:
        flash(
            ngettext(
                "%(num)d photo received. Location and device details are being removed; "
                "you can follow each one here.",
                "%(num)d photos received. Location and device details are being removed; "
                "you can follow each one here.",
                accepted,
            ),
            "success",
        )
    for name, message in errors:
        flash(_("%(name)s: %(message)s", name=name, message=message), "error")
    return redirect_after_change(
        url_for("submissions.mine")
        if accepted
        else url_for("projects.brief", project_id=project.id) + "#contribute"
    )


def _uploaded_card(project: Project, submission: Submission) -> Response:
    response = render(
        "submissions/_card.html",
        submission=submission,
        status=201,
        trigger="submission-uploaded",
    )
    # The upload script keeps "You can send N more photos" true as photos go in: the count
    # the spot reservation returned, not a second one.
    left = submission.spots_left
    response.headers["X-Trove-Remaining"] = str(
        remaining_uploads(project) if left is None else left
    )
    return response


def _upload_error(project_id: int, message: str, status: int) -> Response:
    if not is_fragment_request():
        flash(message, "error")
        return redirect_after_change(
            url_for("projects.brief", project_id=project_id) + "#contribute"
        )
    return render("submissions/_upload_error.html", message=message, status=status)


@bp.get("/me/photos")
@login_required
def mine() -> Response:
    """List the contributor's photos across projects, newest first."""
    status = request.args.get("status") or None
    if status not in {None, *(s.value for s in SubmissionStatus)}:
        status = None
    before = request.args.get("before", "")
    items = service.my_submissions(current_user, status=status, before_id=parse_id(before))
    return render(
        "submissions/mine.html",
        block="list",
        submissions=items,
        current_status=status,
        counts=service.status_counts(current_user),
        statuses=list(SubmissionStatus),
        next_before=items[-1].id if len(items) == 24 else None,
    )


@bp.get("/submissions/<int:submission_id>/card")
@login_required
def card(submission_id: int) -> Response:
    """Return a photo's card (polled while it is processing)."""
    submission = load_submission(submission_id)
    return render("submissions/_card.html", submission=submission)


@bp.app_template_global("can_view_image")
def can_view_image(submission: Submission, variant: int | str = 320) -> bool:
    """Return whether the current user may see this image of ``submission`` (templates)."""
    return access.can_view_image(current_user, submission, variant)


bp.add_app_template_global(card_sources)


@bp.get("/submissions/<int:submission_id>/image/<int:size>")
def image(submission_id: int, size: int) -> Response:
    """Send a thumbnail of a processed photo to someone allowed to see it."""
    submission = load_submission(submission_id)
    if size not in SERVED_SIZES or not can_view_image(submission, size):
        abort(404)
    return send_private_file(
        get_storage().derived_object(submission.storage_key, size),
        "image/jpeg",
        filename=f"photo-{submission.id}-{size}.jpg",
    )


@bp.get("/submissions/<int:submission_id>/original")
def original(submission_id: int) -> Response:
    """Download the stripped original (audited)."""
    submission = load_submission(submission_id)
    if not can_view_image(submission, access.ORIGINAL):
        abort(404)
    storage = get_storage()
    name = storage.original_object(submission.storage_key)
    if storage.object_info(name) is None:
        abort(404)
    record_event(
        current_user, "submission.downloaded", submission, project_id=submission.project_id
    )
    db.session.commit()
    ext = "jpg" if submission.stored_format == "jpeg" else submission.stored_format
    return send_private_file(
        name,
        MIMETYPES[submission.stored_format],
        filename=f"photo-{submission.id}.{ext}",
        attachment=True,
    )
