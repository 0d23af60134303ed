"""Dataset archives of a blur-policy project: blurred images, counts in the manifest, policy
in the datasheet and Croissant metadata."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.blur.test_media_job import SIZE, _upload
from tests.exports.conftest import cut
from tests.faces import detail, face_photo, face_region
from tests.factories import add_team_member, make_processed_submission, make_project
from trove.exports.jobs import archive_name
from trove.extensions import db
from trove.files import get_storage
from trove.review.service import approve_submission

pytestmark = pytest.mark.usefixtures("app_ctx")


class _Lab:
    def __init__(self, project):
        self.project = project
        self.steward = add_team_member(project, "steward")


def _archive(project) -> zipfile.ZipFile:
    version = cut(_Lab(project))
    return zipfile.ZipFile(
        io.BytesIO(get_storage().export_path(archive_name(version)).read_bytes())
    )


def test_dataset_image_is_blurred_and_the_manifest_counts_regions_without_coordinates():
    data, box = face_photo(*SIZE)
    project = make_project(people_policy="blur")
    reviewer = add_team_member(project, "reviewer")
    face = _upload(project, data)
    plain = make_processed_submission(project)
    for submission in (face, plain):
        approve_submission(submission, reviewer)
        db.session.commit()
    zf = _archive(project)
    rows = {r["sha256"]: r for r in map(json.loads, zf.read("manifest.jsonl").splitlines())}
    db.session.refresh(face)
    row = rows[face.sha256]
    assert row["blurred"] is True and row["blurred_regions"] == 1
    assert not {"boxes", "blur_boxes", "regions"} & set(row)
    assert rows[plain.sha256]["blurred"] is False
    image = zf.read(row["file"])
    assert detail(face_region(image, box, SIZE)) < detail(face_region(data, box, SIZE)) / 3
    sheet = zf.read("datasheet.md").decode()
    assert "People are not expected" in sheet
    assert "1 photo(s) in this version have blurred areas (1 in all" in sheet
    croissant = json.loads(zf.read("croissant.json"))
    names = {f["name"] for f in croissant["recordSet"][0]["field"]}
    assert {"blurred", "blurred_regions"} <= names


@pytest.mark.parametrize(
    ("policy", "says"),
    [
        ("subject", "People are the subject of these photos"),
        ("not_allowed", "People must not appear in these photos"),
        (None, "the brief set no people policy"),
    ],
)
def test_datasheet_states_the_people_policy(policy, says):
    project = make_project(people_policy=policy)
    reviewer = add_team_member(project, "reviewer")
    approve_submission(make_processed_submission(project), reviewer)
    db.session.commit()
    assert says in _archive(project).read("datasheet.md").decode()
