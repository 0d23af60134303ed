"""Read images back with exiftool, the independent judge of what metadata is left."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.media.samples import SECRET_TEXT

EXIFTOOL = shutil.which("exiftool")
requires_exiftool = pytest.mark.skipif(
    EXIFTOOL is None, reason="exiftool is not installed (apt-get install libimage-exiftool-perl)"
)

# Groups a stripped file may show: the file itself, its picture and colour descriptions.
ALLOWED_GROUPS = {
    "ExifTool", "System", "File", "Composite", "JFIF", "Adobe", "APP14", "PNG", "PNG-pHYs",
    "RIFF", "ICC-header", "ICC_Profile", "ICC-chrm", "ICC-meas", "ICC-view", "ICC-clrt",
}  # fmt: skip
FORBIDDEN_WORDS = (
    "GPS", "Serial", "Comment", "Thumbnail", "MakerNote", "Owner", "Artist", "Author",
    "Creator", "By-line", "Caption", "DateTimeOriginal", "Make", "Model", "Software",
    "Description", "Warning",
)  # fmt: skip
SECRETS = (SECRET_TEXT, "PhoneCo", "SN-0042", "LENS-99", "Secret caption", "London", "51.5N")


def read_tags(path: Path) -> dict[str, object]:
    """Return exiftool's view of one file: ``-j -a -G1 -struct``, keys are Group:Tag."""
    assert EXIFTOOL is not None
    result = subprocess.run(
        [EXIFTOOL, "-j", "-a", "-G1", "-struct", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)[0]


def tags_of(data: bytes, tmp_path: Path, name: str = "image") -> dict[str, object]:
    """Write ``data`` to a file and return its tags."""
    path = tmp_path / name
    path.write_bytes(data)
    return read_tags(path)


def metadata_problems(tags: dict[str, object]) -> list[str]:
    """Return every tag that should not survive stripping (empty when the file is clean)."""
    problems = []
    for key, value in tags.items():
        if key == "SourceFile":
            continue
        group, _, name = key.partition(":")
        text = json.dumps(value)
        if group not in ALLOWED_GROUPS and key != "IFD0:Orientation":
            problems.append(f"{key} (group)")
        elif any(word.lower() in name.lower() for word in FORBIDDEN_WORDS) and value not in ("", 0):
            problems.append(f"{key}={text[:60]} (name)")
        elif any(secret in text for secret in SECRETS):
            problems.append(f"{key} (value)")
    return problems


def assert_clean(data: bytes, tmp_path: Path) -> dict[str, object]:
    """Assert exiftool finds no identifying metadata in ``data``; return its tags."""
    tags = tags_of(data, tmp_path, "stripped")
    assert metadata_problems(tags) == []
    return tags
