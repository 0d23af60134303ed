"""Dataset versions: selection, splits, pseudonyms, the archive and its manifest."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from tests.exports.conftest import build_lab, cut
from tests.factories import make_submission
from trove.consent.service import request_withdrawal
from trove.errors import DomainError
from trove.exports import deletions
from trove.exports import service as exports
from trove.exports.jobs import archive_name, build_dataset_version
from trove.exports.models import DatasetVersionStatus, Split
from trove.extensions import db
from trove.files import get_storage
from trove.review.service import approve_submission

pytestmark = pytest.mark.usefixtures("app_ctx")


def _zip(version) -> zipfile.ZipFile:
    path = get_storage().export_path(archive_name(version))
    return zipfile.ZipFile(io.BytesIO(path.read_bytes()))


def _cut_without_building(lab):
    """Cut a version whose build job is recorded but not handed to any runner yet."""
    version = exports.cut_version(lab.project, lab.steward, exports.VersionRequest())
    db.session.info.pop("trove_pending_jobs", None)  # as if the worker had not started it
    db.session.commit()
    return version


def _manifest(zf: zipfile.ZipFile) -> list[dict]:
    return [json.loads(line) for line in zf.read("manifest.jsonl").splitlines()]


def test_a_version_holds_every_approved_photo_and_its_manifest_matches_the_zip():
    lab = build_lab((3, 2))
    make_submission(lab.project)  # pending review: not in a dataset
    version = cut(lab)
    assert version.status is DatasetVersionStatus.READY
    assert version.photo_count == 5 and version.added_count == 5
    zf = _zip(version)
    rows = _manifest(zf)
    assert len(rows) == 5
    images = [n for n in zf.namelist() if n.split("/")[0] in {"train", "validation", "test"}]
    assert sorted(images) == sorted(r["file"] for r in rows)
    for row in rows:
        data = zf.read(row["file"])
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert len(data) == row["size"]
        assert row["split"] == row["file"].split("/")[0]
        assert row["licence_sha256"] == lab.project.current_version.licence_hash
        assert row["brief_version"] == 1
    stored = {p.sha256 for p in lab.photos}
    assert {r["sha256"] for r in rows} == stored
    assert set(zf.namelist()) >= {"datasheet.md", "croissant.json", "withdrawn.json"}
    whole = get_storage().export_path(archive_name(version)).read_bytes()
    assert hashlib.sha256(whole).hexdigest() == version.archive_sha256


def test_the_croissant_metadata_describes_the_manifest_with_responsible_ai_fields():
    lab = build_lab((2,))
    zf = _zip(cut(lab))
    meta = json.loads(zf.read("croissant.json"))
    assert meta["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    manifest = next(d for d in meta["distribution"] if d["@id"] == "manifest.jsonl")
    assert manifest["sha256"] == hashlib.sha256(zf.read("manifest.jsonl")).hexdigest()
    for key in ("rai:dataCollection", "rai:personalSensitiveInformation", "rai:dataUseCases"):
        assert meta[key]
    sheet = zf.read("datasheet.md").decode()
    assert lab.project.summary in sheet and "Photos in this version: 2" in sheet


def test_contributors_appear_under_pseudonyms_that_differ_between_projects():
    lab = build_lab((2,))
    person = lab.contributors[0]
    other = build_lab((0,), title="Bus stops")
    approve_submission(make_submission(other.project, person), other.reviewer)
    db.session.commit()
    first = {r["contributor"] for r in _manifest(_zip(cut(lab)))}
    second = {r["contributor"] for r in _manifest(_zip(cut(other)))}
    assert len(first) == 1 and len(second) == 1
    assert first != second
    assert person.email not in json.dumps(_manifest(_zip(cut(lab))))
    # Stable within a project: a later version uses the same pseudonym.
    assert {r["contributor"] for r in _manifest(_zip(cut(lab)))} == first


def test_splits_are_reproducible_from_the_seed():
    lab = build_lab((12,))
    one = {r["sha256"]: r["split"] for r in _manifest(_zip(cut(lab, seed="abc")))}
    two = {r["sha256"]: r["split"] for r in _manifest(_zip(cut(lab, seed="abc")))}
    assert one == two
    for sha, split in one.items():
        assert exports.split_for("abc", sha, 80, 10).value == split
    everything_test = _manifest(
        _zip(cut(lab, train_percent=1, validation_percent=0, test_percent=99, seed="abc"))
    )
    assert sum(r["split"] == Split.TEST.value for r in everything_test) >= 10


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"train_percent": 80, "validation_percent": 10, "test_percent": 5}, "add up to 100"),
        ({"train_percent": 0, "validation_percent": 50, "test_percent": 50}, "cannot be 0"),
        ({"train_percent": 120, "validation_percent": -10, "test_percent": -10}, "between 0"),
        ({"seed": "x" * 65}, "64 characters"),
    ],
)
def test_bad_split_requests_are_refused_with_a_reason(fields, message):
    lab = build_lab((1,))
    with pytest.raises(DomainError, match=message):
        exports.cut_version(lab.project, lab.steward, exports.VersionRequest(**fields))


def test_only_stewards_cut_versions_and_an_empty_selection_is_refused():
    lab = build_lab((1,))
    with pytest.raises(DomainError) as refused:
        exports.cut_version(lab.project, lab.reviewer, exports.VersionRequest())
    assert refused.value.status == 403
    empty = build_lab((0,), title="Empty")
    with pytest.raises(DomainError, match="at least one photo"):
        exports.cut_version(empty.project, empty.steward, exports.VersionRequest())


def test_a_withdrawn_photo_is_absent_from_every_later_version_and_listed_in_withdrawn_json():
    lab = build_lab((3, 2))
    first = cut(lab)
    gone = lab.photos[1]
    request_withdrawal([gone], lab.contributors[0])
    db.session.commit()
    db.session.refresh(first)
    assert first.archive_removed_at is not None and not first.downloadable
    assert not get_storage().export_path(archive_name(first)).exists()
    second = cut(lab)
    third = cut(lab)
    for version in (second, third):
        zf = _zip(version)
        rows = _manifest(zf)
        assert gone.sha256 not in {r["sha256"] for r in rows}
        assert not any(gone.sha256 in name for name in zf.namelist())
        withdrawn = json.loads(zf.read("withdrawn.json"))
        assert [p["sha256"] for p in withdrawn["photos"]] == [gone.sha256]
        assert withdrawn["photos"][0]["versions"] == [1]
    assert (second.added_count, second.withdrawn_count, second.photo_count) == (0, 1, 4)


def test_a_withdrawal_during_the_build_fails_the_version_instead_of_serving_it(app_ctx):
    lab = build_lab((2,))
    version = _cut_without_building(lab)
    request_withdrawal([lab.photos[0]], lab.contributors[0])
    db.session.commit()
    build_dataset_version(version.id)
    db.session.refresh(version)
    assert version.status is DatasetVersionStatus.FAILED
    assert "withdrawn" in version.error
    assert not get_storage().export_path(archive_name(version)).exists()


def test_a_missing_or_altered_stored_photo_fails_the_build_with_a_reason(app_ctx):
    lab = build_lab((2,))
    version = _cut_without_building(lab)
    path = get_storage().original_path(lab.photos[1].storage_key)
    path.write_bytes(path.read_bytes() + b"tampered")
    build_dataset_version(version.id)
    db.session.refresh(version)
    assert version.status is DatasetVersionStatus.FAILED
    assert "does not match" in version.error
    assert not list(get_storage().exports.glob("*.zip"))


def test_the_build_is_idempotent_and_a_second_build_waits_for_the_first(app_ctx):
    lab = build_lab((2,))
    version = _cut_without_building(lab)
    with pytest.raises(DomainError, match="still being built"):
        exports.cut_version(lab.project, lab.steward, exports.VersionRequest())
    db.session.rollback()
    build_dataset_version(version.id)
    db.session.refresh(version)
    digest = version.archive_sha256
    build_dataset_version(version.id)  # a re-run after success changes nothing
    db.session.refresh(version)
    assert version.status is DatasetVersionStatus.READY and version.archive_sha256 == digest


def test_the_deletion_list_and_outstanding_confirmations():
    lab = build_lab((2, 1))
    first = cut(lab)
    exports.record_download(first, lab.steward)
    db.session.commit()
    gone = lab.photos[0]
    request_withdrawal([gone], lab.contributors[0])
    db.session.commit()
    listing = deletions.deletion_list(lab.project)
    assert [p["sha256"] for p in listing["photos"]] == [gone.sha256]
    assert listing["photos"][0]["versions"] == [1]
    owed = deletions.outstanding_deletions(lab.project)
    assert [(o.user.id, o.photos) for o in owed] == [(lab.steward.id, 1)]
    deletions.confirm_deletion(lab.project, lab.steward)
    db.session.commit()
    assert deletions.outstanding_deletions(lab.project) == []


def test_uses_are_validated_and_recorded():
    lab = build_lab((1,))
    version = cut(lab)
    with pytest.raises(DomainError, match="Describe"):
        exports.add_use(version, lab.reviewer, "training", "   ")
    with pytest.raises(DomainError, match="https"):
        exports.add_use(version, lab.reviewer, "paper", "A paper", "javascript:alert(1)")
    with pytest.raises(DomainError, match="kind"):
        exports.add_use(version, lab.reviewer, "sale", "Sold it")
    exports.add_use(version, lab.reviewer, "model", "Shelf detector v2", "https://example.org/m")
    db.session.commit()
    assert [u.description for u in exports.versions_with(lab.photos[0])[0].uses] == [
        "Shelf detector v2"
    ]


def test_the_datasheet_carries_people_s_text_without_raw_html():
    lab = build_lab((1,), title="<script>alert(1)</script> Doors & handles")
    version = cut(lab, note="<img src=x onerror=alert(1)>\nsecond line")
    sheet = _zip(version).read("datasheet.md").decode()
    assert "<script>" not in sheet and "<img" not in sheet
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Doors &amp; handles" in sheet
    assert "data steward: &lt;img src=x onerror=alert(1)&gt; second line" in sheet
