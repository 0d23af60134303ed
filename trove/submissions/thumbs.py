"""A stored photo's thumbnails: their sizes, a card's ``srcset``, and the small-size backfill.

Every stored photo has JPEG thumbnails whose longest side is each of ``THUMB_SIZES``:

- ``SMALL`` (240 px) fills a phone's small cards at 2× (My photos and earnings show 96 × 72
  CSS px; the withdrawal strip 80 × 60), so a phone fetches about half the bytes;
- ``CARD`` (320 px) the review cards, and the small cards on 3× screens;
- ``ZOOM`` (1280 px) the zoom page and a photo's own page.

Cards offer ``SMALL`` and ``CARD`` in a ``srcset`` with their real widths and let the browser
pick for the size it lays the image out at. Photos processed before ``SMALL`` existed have
``has_small_thumb`` false: their cards offer ``CARD`` only until ``flask trove
backfill-thumbnails`` (:func:`backfill_small_thumbs`) has made it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select, update

from trove.extensions import db
from trove.files import get_storage
from trove.media import MediaError, make_thumbnails
from trove.media.thumbnails import fit
from trove.submissions.models import Submission
from trove.submissions.service import upload_limits

log = logging.getLogger(__name__)

SMALL = 240
CARD = 320
ZOOM = 1280
#: What the media job makes (and a new blur re-makes) for every stored photo.
THUMB_SIZES = (SMALL, CARD, ZOOM)


def card_sources(submission: Submission) -> list[tuple[int, int]]:
    """Return (size, width in px) of each thumbnail a card may offer, smallest first."""
    sizes = (SMALL, CARD) if submission.has_small_thumb else (CARD,)
    if not submission.width or not submission.height:
        return [(size, size) for size in sizes]
    shape = (submission.width, submission.height)
    return [(size, fit(shape, size)[0]) for size in sizes]


@dataclass(frozen=True)
class BackfillStep:
    """What one batch of the backfill did."""

    last_id: int | None  # the last photo looked at (None: none left after ``after_id``)
    made: int
    skipped: int  # no stored original to make it from, or it was deleted meanwhile


def backfill_small_thumbs(after_id: int = 0, limit: int = 50) -> BackfillStep:
    """Make the small thumbnail of up to ``limit`` photos after ``after_id`` lacking it; commit.

    Idempotent and safe to stop anywhere: each file is written before its row says it
    exists, so a stop in between only means writing it again next time. It is made from
    the stored original, which is already blurred where the brief blurs faces. A file
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
    max_pixels = upload_limits().max_pixels
    made = skipped = 0
    for submission_id, key in rows:
        try:
            with storage.open_original(key) as stored:
                data = stored.read()
            thumb = make_thumbnails(data, (SMALL,), max_pixels=max_pixels)[SMALL]
        except (FileNotFoundError, MediaError) as error:
            log.warning("submission %s: no small thumbnail made: %r", submission_id, error)
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
