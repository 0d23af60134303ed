"""Resumable uploads over tus 1.0 (core, creation, termination, expiration, checksum).

A photo is announced (its length, file name and the brief version agreed to), then arrives
in one or more PATCH requests. Each request's bytes are kept even when its connection
drops halfway, as a piece in the storage's ``uploads/`` area (outside quarantine; shared by
every web host, like the database row that counts the bytes), so the client resumes from
the server's offset after a dropped connection or a server restart. When the last byte
arrives the pieces are handed, as one stream, to :func:`service.receive_upload`: the same
checks as every other upload path (consent, limits, duplicates, bytes) before quarantine.

Unfinished uploads count against a per-contributor budget and are dropped by the sweep
``TUS_EXPIRE_HOURS`` after their last byte. Functions flush but never commit.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from trove.accounts.models import User
from trove.errors import DomainError
from trove.extensions import db
from trove.files import get_storage
from trove.media.storage import CHUNK
from trove.media.storage.files import TOO_LARGE, megabytes
from trove.projects.models import Project
from trove.submissions import service
from trove.submissions.models import Submission, TusUpload
from trove.tasks import register_sweep
from trove.timeutil import utcnow

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,termination,expiration,checksum"
CHECKSUMS: dict[str, Callable[[], Any]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
}
#: Statuses of ``receive_upload`` refusals that trying again later may cure.
TRANSIENT = (503, 507)
#: A piece no live upload names (a request that lost a race, a crash before the commit)
#: is deleted by the sweep once it is this old.
ORPHAN_GRACE = timedelta(hours=1)


class Refused(DomainError):
    """The finished photo was refused by the upload checks (the upload is over)."""


def parse_metadata(header: str) -> dict[str, str]:
    """Return the ``Upload-Metadata`` pairs (values base64-decoded as UTF-8)."""
    pairs: dict[str, str] = {}
    for item in header.split(","):
        item = item.strip()
        if not item:
            continue
        key, _sep, value = item.partition(" ")
        try:
            pairs[key] = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise DomainError("Upload-Metadata is not valid base64.", status=400) from None
    return pairs


def parse_checksum(header: str | None) -> tuple[str, bytes] | None:
    """Return (algorithm, digest) from an ``Upload-Checksum`` header, or None without one."""
    if not header:
        return None
    algorithm, _sep, value = header.strip().partition(" ")
    if algorithm not in CHECKSUMS:
        raise DomainError(f"Checksum algorithm {algorithm!r} is not supported.", status=400)
    try:
        return algorithm, base64.b64decode(value.strip(), validate=True)
    except binascii.Error:
        raise DomainError("Upload-Checksum is not valid base64.", status=400) from None


def _expiry() -> datetime:
    return utcnow() + timedelta(hours=int(current_app.config["TUS_EXPIRE_HOURS"]))


def open_bytes(user: User) -> int:
    """Return the announced bytes of ``user``'s unfinished, unexpired uploads."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(TusUpload.length), 0)).where(
                TusUpload.contributor_id == user.id,
                TusUpload.submission_id.is_(None),
                TusUpload.expires_at > utcnow(),
            )
        )
        or 0
    )


def create_upload(
    project: Project, user: User, length: int, filename: str | None, brief_version_id: int | None
) -> TusUpload:
    """Announce a photo of ``length`` bytes; refuse at once what would be refused at the end."""
    service.check_can_upload(project, user, brief_version_id)
    limits = service.upload_limits()
    if length <= 0:
        raise DomainError(_("The file is empty."), status=422)
    if length > limits.max_bytes:
        raise DomainError(_(TOO_LARGE, size=megabytes(limits.max_bytes)), status=413)
    # One creation at a time per contributor (a row lock on PostgreSQL; SQLite writes are
    # serialised anyway), so two at once cannot both fit in the last of the budget.
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    budget = int(current_app.config["TUS_BUDGET_MB"]) * 1024 * 1024
    if open_bytes(user) + length > budget:
        raise DomainError(
            _(
                "You have too many unfinished uploads. Let them finish (or cancel some) before "
                "sending more."
            ),
            status=429,
        )
    upload = TusUpload(
        token=secrets.token_urlsafe(32),
        contributor_id=user.id,
        project_id=project.id,
        brief_version_id=brief_version_id,
        filename=service.clean_filename(filename),
        length=length,
        expires_at=_expiry(),
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def load_upload(token: str, user: User) -> TusUpload:
    """Return ``user``'s upload ``token``: 404 if unknown (or another's), 410 if expired."""
    upload = db.session.scalar(select(TusUpload).where(TusUpload.token == token))
    if upload is None or upload.contributor_id != user.id:
        raise DomainError(_("There is no such upload."), status=404)
    if upload.expires_at <= utcnow() and not upload.is_complete:
        raise DomainError(_("This upload expired. Send the photo again."), status=410)
    return upload


def checkpoint_bytes(length: int) -> int:
    """Return how many bytes of a long body are kept as one piece: an eighth, 256 KB to 8 MB."""
    return max(256 * 1024, min(8 * 1024 * 1024, -(-length // 8)))


def append_bytes(
    upload: TusUpload,
    user: User,
    offset: int,
    stream: BinaryIO,
    *,
    content_length: int | None,
    checksum: tuple[str, bytes] | None = None,
    checkpoint: Callable[[], None] | None = None,
) -> Submission | None:
    """Add a PATCH body at ``offset``; return the photo once the last byte is in.

    The body goes straight into pieces in storage and is kept up to where it stopped if the
    connection dropped. Without a checksum (which can only vouch for the whole body) a long
    body is kept as it arrives: each :func:`checkpoint_bytes` make a piece that
    ``checkpoint`` (the view's commit) records, so a crash of this server mid-body costs
    the client at most that much again. The offset moves by a check-and-set on the row, so
    of two requests racing for the same offset exactly one counts.
    """
    if upload.is_complete or offset != upload.received:
        raise DomainError(f"The upload is at byte {upload.received}, not {offset}.", status=409)
    if content_length is not None and content_length > upload.length - offset:
        raise DomainError("The body goes beyond the announced Upload-Length.", status=413)
    hasher = CHECKSUMS[checksum[0]]() if checksum else None
    # Read once: the checkpoints' commits expire the row, and reloading it costs a query.
    upload_id, token, length, parts = upload.id, upload.token, upload.length, upload.part_names
    every = length if checksum or checkpoint is None else checkpoint_bytes(length)
    storage = get_storage()
    while True:
        name, size, cut = _receive_piece(token, offset, stream, min(every, length - offset), hasher)
        if name is None:
            return None
        try:
            last = offset + size == length
            if last and content_length is None and not cut and _more(stream):
                raise DomainError("The body goes beyond the announced Upload-Length.", status=413)
            if hasher is not None and (cut or hasher.digest() != checksum[1]):  # type: ignore[index]
                raise DomainError("The checksum does not match the body.", status=460)
            if last:
                return _complete(upload, user, offset, [*parts, name])
            _advance(upload, upload_id, offset, offset + size, " ".join([*parts, name]))
        except BaseException:
            storage.delete_object(name)
            raise
        parts.append(name)
        offset += size
        if cut or checkpoint is None or hasher is not None:
            return None
        checkpoint()


def _receive_piece(
    token: str, offset: int, stream: BinaryIO, want: int, hasher: Any
) -> tuple[str | None, int, bool]:
    """Store up to ``want`` body bytes as a piece; return (its name or None, size, cut off?)."""
    got = {"size": 0, "cut": False}

    def chunks() -> Iterator[bytes]:
        while got["size"] < want:
            try:
                chunk = stream.read(min(CHUNK, want - got["size"]))
            except Exception:  # the client went away mid-body: keep what arrived
                got["cut"] = True
                return
            if not chunk:
                return
            got["size"] += len(chunk)
            if hasher is not None:
                hasher.update(chunk)
            yield chunk

    storage = get_storage()
    name = storage.put_upload_part(token, offset, chunks())
    if not got["size"]:
        storage.delete_object(name)
        return None, 0, bool(got["cut"])
    return name, int(got["size"]), bool(got["cut"])


def _more(stream: BinaryIO) -> bool:
    """Return whether a body of unannounced length goes on past what was wanted."""
    try:
        return bool(stream.read(1))
    except Exception:
        return False


def _advance(upload: TusUpload, upload_id: int, offset: int, received: int, parts: str) -> None:
    """Move the offset from ``offset`` to ``received`` if nobody else moved it first.

    ``upload`` (whose id is ``upload_id``: reading it from a row a commit expired would
    reload the row) is given what was written, without reading the row back.
    """
    expires = _expiry()
    moved = db.session.execute(
        _ADVANCE,
        {
            "b_id": upload_id,
            "b_offset": offset,
            "b_received": received,
            "b_parts": parts,
            "b_expires": expires,
        },
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise DomainError("Another request sent these bytes first.", status=409)
    for key, value in (("received", received), ("parts", parts), ("expires_at", expires)):
        set_committed_value(upload, key, value)


#: The check-and-set (a Core statement: the ORM's per-call bookkeeping cost more than it).
_ADVANCE = (
    update(TusUpload.__table__)
    .where(
        TusUpload.__table__.c.id == bindparam("b_id"),
        TusUpload.__table__.c.received == bindparam("b_offset"),
        TusUpload.__table__.c.submission_id.is_(None),
    )
    .values(
        received=bindparam("b_received"),
        parts=bindparam("b_parts"),
        expires_at=bindparam("b_expires"),
    )
)


def _complete(upload: TusUpload, user: User, offset: int, names: list[str]) -> Submission:
    """Hand the whole photo to the one upload path every photo goes through.

    A refusal there (consent, limits, duplicate, damaged bytes) raises :class:`Refused`:
    the caller rolls back and terminates the upload, since sending it again cannot help.
    A full or unreachable store (507, 503) leaves the upload as it was, to be finished later.
    """
    _advance(upload, upload.id, offset, upload.length, "")
    try:
        submission = service.receive_upload(
            upload.project,
            user,
            _Joined(names),  # type: ignore[arg-type]
            upload.filename,
            upload.brief_version_id,
            expected_bytes=upload.length,
        )
    except DomainError as error:
        if error.status in TRANSIENT:
            raise  # the store is full or down: the client tries the last piece again later
        raise Refused(error.message, status=error.status) from None
    upload.submission_id = submission.id
    return submission


class _Joined:
    """The stored pieces of an upload, read as one stream."""

    def __init__(self, names: list[str]) -> None:
        self._names = list(names)
        self._current: BinaryIO | None = None

    def read(self, size: int = -1) -> bytes:
        """Return up to ``size`` bytes (b"" at the end)."""
        while self._current is not None or self._names:
            if self._current is None:
                self._current = get_storage().open_upload_part(self._names.pop(0))
            chunk = self._current.read(size)
            if chunk:
                return chunk
            self._current.close()
            self._current = None
        return b""


def terminate_upload(upload: TusUpload) -> str:
    """Forget an unfinished upload; return its token (delete its pieces after the commit)."""
    if upload.is_complete:
        raise DomainError(_("This upload is finished; withdraw the photo instead."), status=409)
    db.session.delete(upload)
    db.session.flush()
    return upload.token


def discard_pieces(token: str) -> None:
    """Delete the stored pieces of an upload that is finished, refused or terminated."""
    get_storage().delete_upload_parts(token)


@register_sweep
def sweep_tus_uploads() -> int:
    """Drop uploads expired for 24 h (finished ones too), and pieces no upload names."""
    now = utcnow()
    db.session.execute(delete(TusUpload).where(TusUpload.expires_at <= now))
    db.session.flush()
    live = {name for parts in db.session.scalars(select(TusUpload.parts)) for name in parts.split()}
    storage = get_storage()
    for _token, name, modified in list(storage.list_upload_parts()):
        if name not in live and now - modified > ORPHAN_GRACE:
            storage.delete_object(name)
    return 0
