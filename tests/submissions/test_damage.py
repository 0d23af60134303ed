"""Damaged files and memory bombs are refused in the upload request: a 422, no row, no file.

And what an accepted upload may cost: the process that checks and processes the largest
picture the budget lets in stays within 300 MB of its idle peak (measured in a subprocess).
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import login
from tests.images import photo
from trove.extensions import db
from trove.files import get_storage
from trove.projects.models import Project
from trove.submissions.models import Submission

HX = {"HX-Request": "true"}


def _send_raw(client, project_id: int, data: bytes):
    with client.application.app_context():
        version = db.session.get(Project, project_id).current_version_id
    return client.post(
        f"/projects/{project_id}/submissions?consent={version}",
        data=data,
        headers={**HX, "Content-Type": "application/octet-stream", "X-Trove-Filename": "a.png"},
    )


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def png_rows(width: int, height: int, depth: int, colour: int, row: bytes) -> bytes:
    """Return a PNG whose every row is ``row`` (filter byte included), compressed on the fly."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    packer = zlib.compressobj(6)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def _bad_ihdr_crc(data: bytes) -> bytes:
    return data[:29] + bytes([data[29] ^ 0xFF]) + data[30:]


def _cut(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


# Each file is made when its test runs, not when the module is collected (the memory bomb
# compresses 800 MB: every pytest process collecting the module paid for it).
@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: _cut(photo(640, 480, seed=11)), b"truncated"),
        (lambda: _cut(photo(320, 240, fmt="PNG", seed=12)), b"truncated"),
        (lambda: _bad_ihdr_crc(photo(320, 240, fmt="PNG", seed=12)), b"checksum"),
        # 0.8 MB of 16-bit RGBA, 10000 × 10000: within the pixel limit, 800 MB to decode.
        (lambda: png_rows(10_000, 10_000, 16, 6, bytes(1 + 10_000 * 8)), b"MB to open"),
    ],
    ids=["truncated JPEG", "truncated PNG", "PNG header checksum", "16-bit memory bomb"],
)
def test_damage_and_memory_bombs_are_refused_in_the_request(
    app, client, project_id, contributor, make, reason
):
    login(client, contributor)
    response = _send_raw(client, project_id, make())
    assert response.status_code == 422, response.data
    assert reason in response.data
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
        assert list(get_storage().list_quarantine()) == []


def test_the_decoded_size_budget_is_configurable(make_app, contributor, project_id):
    app = make_app(MAX_DECODED_MB=1)
    client = app.test_client()
    login(client, contributor)
    response = _send_raw(client, project_id, photo(640, 480, seed=13))  # 1.2 MB decoded
    assert response.status_code == 422 and b"the maximum is 1 MB" in response.data


#: The documented default of ``TROVE_MAX_DECODED_MB``.
BUDGET = 192 * 1024 * 1024

MEASURE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    from trove.media import probe, process_image

    def peak() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmHWM")

    process_image(Path(sys.argv[2]).read_bytes())  # imports and codecs loaded
    idle = peak()
    data = Path(sys.argv[1]).read_bytes()
    info = probe(data)
    process_image(data)  # what the media job does with it, defaults as configured
    print(json.dumps({"idle": idle, "peak": peak(), "pixels": info.width * info.height}))
    """
)


def test_the_largest_accepted_picture_costs_at_most_300_mb(tmp_path: Path):
    # RGBA PNG as large as the default budget allows: the costliest kind to decode and
    # flatten (a JPEG is decoded scaled down).
    side = int((BUDGET / 4) ** 0.5) - 8
    pattern = bytes(range(256)) * (side * 4 // 256 + 1)
    row = b"\x00" + pattern[: side * 4]
    big = tmp_path / "big.png"
    big.write_bytes(png_rows(side, side, 8, 6, row))
    small = tmp_path / "small.png"
    small.write_bytes(photo(64, 48, fmt="PNG"))
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(big), str(small)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    figures = json.loads(result.stdout)
    assert figures["pixels"] * 4 > BUDGET * 0.95  # near the budget
    assert figures["peak"] - figures["idle"] <= 300 * 1024 * 1024, figures


def test_the_default_budget_is_the_documented_one():
    from trove.config import DEFAULTS
    from trove.media import DEFAULT_MAX_DECODED_BYTES

    assert DEFAULTS["MAX_DECODED_MB"] * 1024 * 1024 == DEFAULT_MAX_DECODED_BYTES == BUDGET
