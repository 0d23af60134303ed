"""A stored photo's thumbnails: their sizes, a card's ``srcset``, and the small-size backfill.

The media job (and a new blur) stores JPEG thumbnails whose longest side is each of
``THUMB_SIZES`` — ``CARD`` (320 px: review cards, and small cards on 3× screens) and ``ZOOM``
(1280 px: the zoom page, a photo's own page) — plus ``SMALL``: the centre of the picture
cut to 4:3 at 192 × 144 px, exactly what the small cards (My photos and earnings,
96 × 72 CSS px; the withdrawal strip, 80 × 60) show of it at 2× with ``object-fit: cover``.
A phone at 2× fetches it instead of the 320 px one: about a third of the bytes.

Cards offer their sizes in a ``srcset`` with their real widths and let the browser pick
for the width it lays the image out at. Only the small cards offer ``SMALL``: a review card
places blur boxes over the whole picture, which a cut-down thumbnail is not. Photos
processed before ``SMALL`` existed have ``has_small_thumb`` false: their cards offer ``CARD``
only until ``flask trove backfill-thumbnails`` (:func:`backfill_small_thumbs`) has made it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select, update

from trove.extensions import db
from trove.files import get_storage
from trove.media.thumbnails import cover_crop, covered, fit
from trove.submissions.models import Submission

log = logging.getLogger(__name__)

CARD = 320
ZOOM = 1280
#: The longest-side thumbnails the media job makes with the stored photo.
THUMB_SIZES = (CARD, ZOOM)
#: The small card crop: its width names it in storage (``<sha256>-192.jpeg``).
SMALL = 192
SMALL_BOX = (SMALL, SMALL * 3 // 4)
#: Every thumbnail the image route serves.
SERVED_SIZES = (SMALL, *THUMB_SIZES)


def store_thumbnails(key: str, thumbnails: dict[int, bytes]) -> None:
    """Store the thumbnails of original ``key``, and the small crop made from the card one."""
    storage = get_storage()
    for size, thumb in thumbnails.items():
        storage.put_derived(key, size, thumb)
    storage.put_derived(key, SMALL, cover_crop(thumbnails[CARD], SMALL_BOX))


def store_photo(
    submission: Submission, data: bytes, fmt: str, *, sha256: str, thumbnails: dict[int, bytes]
) -> str:
    """Store a photo's file and thumbnails, then point ``submission`` at them; return the key.

    Files first, then the row that points at them: a row never points at a missing file.
    """
    key = get_storage().put_original(data, fmt, sha256=sha256)
    store_thumbnails(key, thumbnails)
    submission.storage_key = key
    submission.has_small_thumb = True
    submission.stored_format = fmt
    submission.sha256 = sha256
    submission.stored_size = len(data)
    return key


def card_sources(submission: Submission, small: bool) -> list[tuple[int, int]]:
    """Return (size, width in px) of each thumbnail a card may offer, smallest first.

    ``small``: the card shows a 4:3 box at most 96 CSS px wide, without blur boxes.
    """
    shape = (submission.width or CARD, submission.height or CARD * 3 // 4)
    card = fit(shape, CARD)
    sources = [(CARD, card[0])]
    if small and submission.has_small_thumb:
        sources.insert(0, (SMALL, covered(card, SMALL_BOX)[0][0]))
    return sources


@dataclass(frozen=True)
class BackfillStep:
    """What one batch of the backfill did."""

    last_id: int | None  # the last photo looked at (None: none left after ``after_id``)
    made: int
    skipped: int  # no stored thumbnail to cut it from, or it was deleted meanwhile


def backfill_small_thumbs(after_id: int = 0, limit: int = 50) -> BackfillStep:
    """Make the small thumbnail of up to ``limit`` photos after ``after_id`` lacking it; commit.

    Idempotent and safe to stop anywhere: each file is written before its row says it
    exists, so a stop in between only means writing it again next time. It is cut from the
    stored card thumbnail, which is already blurred where the brief blurs faces. A file
    whose original was deleted while it was written (a purge, a new blur) is deleted again.
    """
    rows = db.session.execute(
        select(Submission.id, Submission.storage_key)
        .where(
            Submission.storage_key.is_not(None),
            Submission.has_small_thumb.is_(False),
            Submission.id > after_id,
        )
        .order_by(Submission.id)
        .limit(limit)
    ).all()
    storage = get_storage()
    made = skipped = 0
    for submission_id, key in rows:
        try:
            with storage.open_object(storage.derived_object(key, CARD)) as stored:
                thumb = cover_crop(stored.read(), SMALL_BOX)
        except FileNotFoundError:
            log.warning("submission %s: no %s px thumbnail to cut", submission_id, CARD)
            skipped += 1
            continue
        storage.put_derived(key, SMALL, thumb)
        if not storage.exists(key):  # purged or replaced meanwhile: leave nothing behind
            storage.delete_object(storage.derived_object(key, SMALL))
            skipped += 1
            continue
        db.session.execute(
            update(Submission)
            .where(Submission.id == submission_id, Submission.storage_key == key)
            .values(has_small_thumb=True)
        )
        made += 1
    db.session.commit()
    return BackfillStep(rows[-1][0] if rows else None, made, skipped)
