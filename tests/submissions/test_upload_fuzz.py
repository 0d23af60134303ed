"""Fuzzing the upload path over HTTP: whatever arrives, never a 500 and nothing half-kept.

A bounded run is part of the suite. For a longer one:
``TROVE_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/submissions/test_upload_fuzz.py``.
"""

from __future__ import annotations

import io
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.conftest import login
from tests.factories import make_project, make_user
from tests.media.test_fuzz import SEEDS, mutated
from trove.extensions import db
from trove.files import get_storage
from trove.submissions.models import Submission, SubmissionStatus

EXAMPLES = int(os.environ.get("TROVE_FUZZ_EXAMPLES", "60"))

FILENAMES = st.one_of(
    st.sampled_from(
        [
            "../../etc/passwd",
            "..\\..\\boot.ini",
            "/absolute/path.jpg",
            "photo.jpg\x00.php",
            "<script>alert(1)</script>.png",
            "ＩＭＧ＿０００１.ＪＰＧ",
            "e\u0301te\u0301.heic",
            "\u202egnp.exe",
            "",
            "a" * 1000,
        ]
    ),
    st.text(max_size=80),
)

POLYGLOTS = [
    SEEDS[0] + b"PK\x03\x04" + b"\x00" * 26 + b"evil.sh",  # a zip after the JPEG
    SEEDS[0][:2] + b"\xff\xfe\x00\x20<html><script>alert(1)</script>" + SEEDS[0][2:],
    b"GIF89a" + SEEDS[2],
    b"<?php system($_GET['c']); ?>" + SEEDS[3],
]

BODIES = st.one_of(
    mutated(),
    st.sampled_from(POLYGLOTS),
    st.binary(max_size=2000),
    st.just(b""),
    # A header that claims an enormous picture (decompression bomb).
    st.just(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\x00\x00\x00\x01\x00\x00\x08\x02\x00\x00\x00"),
)


def test_fuzzed_uploads_never_fail_the_server_or_keep_a_rejected_file(app, client):
    with app.app_context():
        project = make_project(target_count=100_000, per_contributor_limit=None)
        project_id, version_id = project.id, project.current_version_id
        make_user(email="fuzz@example.org")
    login(client, "fuzz@example.org")

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(data=BODIES, name=FILENAMES)
    def upload(data: bytes, name: str) -> None:
        with app.app_context():
            before = db.session.scalar(select(db.func.count()).select_from(Submission))
        response = client.post(
            f"/projects/{project_id}/submissions",
            data={"photos": (io.BytesIO(data), name or "x"), "consent": str(version_id)},
            content_type="multipart/form-data",
            headers={"HX-Request": "true"},
        )
        assert response.status_code < 500, response.data[:300]
        with app.app_context():
            rows = list(db.session.scalars(select(Submission).order_by(Submission.id)))
            storage = get_storage()
            assert list(storage.list_quarantine()) == []
            if response.status_code != 201:
                assert 400 <= response.status_code < 500
                assert len(rows) == before
                return
            assert len(rows) == before + 1
            new = rows[-1]
            assert new.status in (SubmissionStatus.PENDING_REVIEW, SubmissionStatus.REJECTED)
            assert "/" not in new.original_filename and "\\" not in new.original_filename
            assert "\x00" not in new.original_filename
            if new.status is SubmissionStatus.REJECTED:
                assert new.storage_key is None and new.rejection_note
            else:
                assert storage.exists(new.storage_key)

    upload()
    with app.app_context():
        keys = set(db.session.scalars(select(Submission.storage_key)))
        stored = {p.name for p in get_storage().originals.rglob("*") if p.is_file()}
        assert stored <= keys  # no stored file without a row
