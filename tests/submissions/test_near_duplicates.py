"""The near-duplicate search through the band index gives the full scan's answers."""

from __future__ import annotations

import random

from sqlalchemy import insert, select

from tests.factories import make_project, make_user
from trove.extensions import db
from trove.media import NEAR_DUPLICATE_DISTANCE, hamming
from trove.media.hashing import phash_band_keys, phash_probe_keys
from trove.submissions.jobs import _near_duplicate, index_phash
from trove.submissions.models import PhashBand, Submission, SubmissionStatus

LIMIT = NEAR_DUPLICATE_DISTANCE


def _flip(rng: random.Random, phash: int, bits: int) -> int:
    for bit in rng.sample(range(64), bits):
        phash ^= 1 << bit
    return phash


def test_every_hash_within_the_distance_shares_a_probed_band_key():
    rng = random.Random(7)
    for _ in range(2000):
        phash = rng.getrandbits(64)
        probes = set(phash_probe_keys(phash))
        for distance in range(LIMIT + 1):
            near = _flip(rng, phash, distance)
            assert probes & set(phash_band_keys(near)), (hex(phash), hex(near))


def _add(project, contributor, phash: int | None, status=SubmissionStatus.PENDING_REVIEW) -> int:
    n = next(_counter)
    sid = db.session.execute(
        insert(Submission)
        .values(
            project_id=project.id,
            contributor_id=contributor.id,
            status=status,
            upload_format="jpeg",
            upload_size=1,
            upload_sha256=f"{n:064x}",
            phash=None if phash is None else f"{phash:016x}",
            brief_version_id=project.current_version_id,
            licence_hash="0" * 64,
        )
        .returning(Submission.id)
    ).scalar_one()
    submission = db.session.get(Submission, sid)
    if phash is not None:
        index_phash(submission, phash)
    return sid


_counter = iter(range(10**9))


def _linear(project_id: int, exclude: int, phash: int) -> int | None:
    """The plain scan over every hash of the project: nearest, ties to the lowest id."""
    rows = db.session.execute(
        select(Submission.id, Submission.phash).where(
            Submission.project_id == project_id,
            Submission.id != exclude,
            Submission.phash.is_not(None),
        )
    )
    found = [(hamming(phash, int(h, 16)), i) for i, h in rows]
    best = min((f for f in found if f[0] <= LIMIT), default=None)
    return best[1] if best else None


def test_indexed_search_matches_the_linear_scan_with_planted_neighbours(app_ctx):
    rng = random.Random(2026)
    project, other = make_project(), make_project()
    person = make_user()
    statuses = list(SubmissionStatus)
    for _ in range(300):
        _add(project, person, rng.getrandbits(64), rng.choice(statuses))
    queries = [rng.getrandbits(64) for _ in range(40)]
    for query in queries:
        # Neighbours at every distance up to the limit and just past it, in any status
        # (withdrawn ones count), and the exact hash in another project (never matches).
        for distance in range(LIMIT + 3):
            if rng.random() < 0.6:
                _add(project, person, _flip(rng, query, distance), rng.choice(statuses))
        _add(other, person, query)
    db.session.flush()
    answers = []
    for query in queries + [rng.getrandbits(64) for _ in range(20)]:
        subject = db.session.get(Submission, _add(project, person, None))
        expected = _linear(project.id, subject.id, query)
        assert _near_duplicate(subject, query) == expected, hex(query)
        answers.append(expected)
    assert sum(a is not None for a in answers) >= 30  # the planted neighbours were found


def test_a_withdrawn_photo_still_flags_its_near_copy(app_ctx):
    project = make_project()
    person = make_user()
    withdrawn = _add(project, person, 0x0123456789ABCDEF, SubmissionStatus.WITHDRAWN)
    subject = db.session.get(Submission, _add(project, person, None))
    assert _near_duplicate(subject, 0x0123456789ABCDEF ^ 0b1011) == withdrawn
    assert (
        db.session.scalar(
            select(PhashBand.project_id).where(PhashBand.submission_id == withdrawn).limit(1)
        )
        == project.id
    )
