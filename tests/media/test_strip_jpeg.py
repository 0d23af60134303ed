"""JPEG stripping: every kind of metadata goes, the picture stays byte for byte."""

from __future__ import annotations

import io
import re
import struct

import piexif
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.media import samples
from tests.media.exiftool import assert_clean, requires_exiftool
from trove.media import CorruptImage, UnsupportedFormat, probe, strip_metadata
from trove.media.exif import read_orientation
from trove.media.strip import strip_parts
from trove.media.strip.jpeg import find_scan_end, strip_jpeg


def segments(data: bytes) -> list[tuple[int, bytes]]:
    """Return (marker, body) of the segments before the first scan."""
    found = []
    pos = 2
    while data[pos + 1] != 0xDA:
        marker = data[pos + 1]
        (length,) = struct.unpack_from(">H", data, pos + 2)
        found.append((marker, data[pos + 4 : pos + 2 + length]))
        pos += 2 + length
    return found


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB").tobytes()


@pytest.fixture
def phone_photo() -> bytes:
    """A JPEG carrying EXIF (GPS, serials, MakerNote, thumbnail), XMP, IPTC and a comment."""
    data = samples.jpeg(
        samples.picture(160, 120), exif=samples.exif_bytes(), icc=samples.icc_profile()
    )
    return samples.insert_after_soi(
        data,
        samples.xmp_segment(),
        samples.extended_xmp_segment(),
        samples.iptc_segment(),
        samples.comment_segment(),
    )


def test_phone_photo_keeps_scans_and_pixels_exactly(phone_photo: bytes) -> None:
    clean = strip_metadata(phone_photo)
    assert samples.scan_data(clean) == samples.scan_data(phone_photo)
    assert pixels(clean) == pixels(phone_photo)
    assert len(clean) < len(phone_photo)


@requires_exiftool
def test_phone_photo_has_no_identifying_metadata(phone_photo: bytes, tmp_path) -> None:
    tags = assert_clean(strip_metadata(phone_photo), tmp_path)
    assert "IFD0:Orientation" not in tags  # upright photos get no EXIF at all


def test_only_allowlisted_segments_remain(phone_photo: bytes) -> None:
    markers = [marker for marker, _body in segments(strip_metadata(phone_photo))]
    assert set(markers) <= {0xE0, 0xE2, 0xDB, 0xC4, 0xC0, 0xDD}
    assert 0xE1 not in markers and 0xED not in markers and 0xFE not in markers


SECOND_EXIF = samples.segment(0xE1, b"Exif\x00\x00" + samples.exif_bytes()[6:])


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param(samples.xmp_segment(), id="xmp-with-gps"),
        pytest.param(samples.extended_xmp_segment(), id="extended-xmp"),
        pytest.param(samples.iptc_segment(), id="iptc"),
        pytest.param(samples.comment_segment(), id="comment"),
        pytest.param(SECOND_EXIF, id="second-exif"),
        pytest.param(samples.segment(0xEB, b"JP" + samples.SECRET_TEXT.encode()), id="app11"),
    ],
)
def test_each_kind_of_metadata_segment_is_dropped(extra: bytes) -> None:
    data = samples.insert_after_soi(samples.jpeg(), extra)
    clean = strip_metadata(data)
    assert samples.SECRET_TEXT.encode() not in clean
    assert extra not in clean
    assert clean == strip_metadata(samples.jpeg())


@requires_exiftool
def test_exif_gps_makernote_and_thumbnail_are_gone(tmp_path) -> None:
    data = samples.jpeg(exif=samples.exif_bytes(gps=True, thumbnail=True, makernote=True))
    assert b"Apple iOS" in data
    clean = strip_metadata(data)
    assert b"Apple iOS" not in clean and b"SN-0042" not in clean
    assert_clean(clean, tmp_path)


def test_mpf_second_picture_and_trailer_after_eoi_are_dropped() -> None:
    first = samples.jpeg(samples.picture(seed=1))
    second = samples.jpeg(samples.picture(seed=2))
    mpf = samples.segment(0xE2, b"MPF\x00MM\x00\x2a\x00\x00\x00\x08" + b"\x00" * 40)
    trailer = b"TRAILER " + samples.SECRET_TEXT.encode()
    data = samples.insert_after_soi(first, mpf) + second + trailer
    clean = strip_metadata(data)
    assert clean.endswith(b"\xff\xd9")
    assert clean.count(b"\xff\xd8") == 1
    assert b"MPF\x00" not in clean and b"TRAILER" not in clean
    assert pixels(clean) == pixels(first)


def test_jfif_thumbnail_is_removed_but_density_kept() -> None:
    base = samples.jpeg(dpi=(300, 300))
    marker, body = segments(base)[0]
    assert marker == 0xE0
    thumb = bytes(range(48))  # a 4x4 RGB thumbnail
    data = base[:2] + samples.segment(0xE0, body[:12] + b"\x04\x04" + thumb) + base[6 + len(body) :]
    clean = strip_metadata(data)
    marker, kept = segments(clean)[0]
    assert marker == 0xE0 and kept == body[:12] + b"\x00\x00"
    assert thumb not in clean
    with Image.open(io.BytesIO(clean)) as image:
        assert image.info["dpi"] == (300, 300)


@pytest.mark.parametrize("orientation", [2, 3, 6, 8])
def test_orientation_is_kept_alone(orientation: int) -> None:
    data = samples.jpeg(samples.picture(120, 80), exif=samples.exif_bytes(orientation=orientation))
    clean = strip_metadata(data)
    exif = [body for marker, body in segments(clean) if marker == 0xE1]
    assert len(exif) == 1 and read_orientation(exif[0][6:]) == orientation
    assert piexif.load(clean)["0th"] == {piexif.ImageIFD.Orientation: orientation}
    info = probe(clean)
    assert info.orientation == orientation
    assert (info.width, info.height) == ((80, 120) if orientation in (6, 8) else (120, 80))
    assert samples.scan_data(clean) == samples.scan_data(data)


@requires_exiftool
def test_rotated_photo_reads_back_with_only_its_orientation(tmp_path) -> None:
    data = samples.jpeg(exif=samples.exif_bytes(orientation=6))
    tags = assert_clean(strip_metadata(data), tmp_path)
    assert tags["IFD0:Orientation"] == "Rotate 90 CW"
    exif_tags = [key for key in tags if key.startswith(("IFD0:", "ExifIFD:", "IFD1:"))]
    assert exif_tags == ["IFD0:Orientation"]


def test_progressive_jpeg_keeps_every_scan() -> None:
    data = samples.jpeg(samples.picture(200, 150), progressive=True, exif=samples.exif_bytes())
    clean = strip_metadata(data)
    scans = samples.scan_data(clean)
    assert len(scans) > 1
    assert scans == samples.scan_data(data)
    assert pixels(clean) == pixels(data)


def test_restart_markers_stay_in_the_scan() -> None:
    data = samples.jpeg(
        samples.picture(128, 96), exif=samples.exif_bytes(), restart_marker_blocks=2
    )
    clean = strip_metadata(data)
    assert any(marker == 0xDD for marker, _body in segments(clean))
    scan = samples.scan_data(clean)[0]
    assert any(bytes((0xFF, rst)) in scan for rst in range(0xD0, 0xD8))
    assert samples.scan_data(clean) == samples.scan_data(data)
    assert pixels(clean) == pixels(data)


def test_cmyk_jpeg_keeps_adobe_segment_and_pixels() -> None:
    data = samples.jpeg(samples.picture(64, 48).convert("CMYK"), exif=samples.exif_bytes())
    assert any(marker == 0xEE for marker, _body in segments(data))
    clean = strip_metadata(data)
    assert [marker for marker, _body in segments(clean) if marker == 0xEE] == [0xEE]
    with Image.open(io.BytesIO(clean)) as out, Image.open(io.BytesIO(data)) as original:
        assert out.mode == "CMYK"
        assert out.tobytes() == original.tobytes()


def test_greyscale_jpeg() -> None:
    data = samples.jpeg(samples.picture(mode="L"), exif=samples.exif_bytes())
    assert pixels(strip_metadata(data)) == pixels(data)


def test_icc_profile_in_several_segments_is_reassembled_and_cleaned() -> None:
    data = samples.jpeg(icc=samples.icc_profile())
    (icc_body,) = [body for marker, body in segments(data) if marker == 0xE2]
    profile = icc_body[14:]
    cut = [profile[:200], profile[200:400], profile[400:]]
    pieces = b"".join(
        samples.segment(0xE2, b"ICC_PROFILE\x00" + bytes((number, 3)) + part)
        for number, part in enumerate(cut, start=1)
    )
    # Store the pieces out of order, as the spec allows.
    pieces_reordered = pieces[: len(pieces)]
    clean = strip_metadata(data.replace(samples.segment(0xE2, icc_body), pieces_reordered))
    with Image.open(io.BytesIO(clean)) as image:
        kept = image.info["icc_profile"]
    assert len(kept) == len(profile) and kept[36:40] == b"acsp"
    assert kept[48:56] == bytes(8)  # device manufacturer and model blanked


def test_broken_icc_profile_is_dropped_not_fatal() -> None:
    broken = samples.segment(0xE2, b"ICC_PROFILE\x00\x01\x01garbage")
    clean = strip_metadata(samples.insert_after_soi(samples.jpeg(), broken))
    assert b"ICC_PROFILE" not in clean
    assert pixels(clean) == pixels(samples.jpeg())


def test_fill_bytes_before_markers_are_accepted() -> None:
    data = samples.jpeg()
    assert pixels(strip_metadata(data[:2] + b"\xff\xff" + data[2:])) == pixels(data)


@pytest.mark.parametrize(
    ("mutate", "error", "reason"),
    [
        (lambda d: d[: len(d) // 2], CorruptImage, "truncated"),
        (lambda d: d[:-2], CorruptImage, "truncated"),
        (lambda d: d[:200], CorruptImage, "truncated"),
        (lambda d: d[:20] + b"\x00garbage" + d[20:], CorruptImage, "damaged"),
        (lambda d: d.replace(b"\xff\xc0", b"\xff\xc5", 1), UnsupportedFormat, "kind of JPEG"),
        (lambda d: b"\xff\xd8\xff\xd9", CorruptImage, "no picture"),
        (lambda d: d.replace(b"\xff\xda", b"\xff\x99", 1), CorruptImage, "unknown segment"),
    ],
)
def test_structural_damage_is_refused(mutate, error: type[Exception], reason: str) -> None:
    with pytest.raises(error, match=reason):
        strip_jpeg(mutate(samples.jpeg()))


def test_damage_only_a_decoder_sees_is_refused_when_verifying() -> None:
    data = bytearray(samples.jpeg(samples.picture(320, 240)))
    sof = data.index(b"\xff\xc0")
    data[sof + 11] = 0x44  # luma sampled 4x4: a well-formed header libjpeg cannot decode
    damaged = bytes(data)
    strip_jpeg(damaged)  # structurally fine...
    assert strip_metadata(damaged, verify=False)
    with pytest.raises(CorruptImage, match="cannot be decoded"):
        strip_metadata(damaged)  # ...but it does not decode


def test_oversubscribed_huffman_table_is_refused_when_verifying() -> None:
    data = bytearray(samples.jpeg())
    dht = data.index(b"\xff\xc4")
    counts = list(data[dht + 5 : dht + 21])
    moved = min(2, counts[2])
    counts[0] += moved  # same number of codes, but more than the code space holds
    counts[2] -= moved
    data[dht + 5 : dht + 21] = bytes(counts)
    with pytest.raises(CorruptImage):
        strip_metadata(bytes(data))


# The definition of where entropy-coded data ends (ITU T.81 B.1.1.5, F.1.2.3), as a pattern.
SCAN_END = re.compile(rb"\xff[\x01-\xcf\xd8-\xfe]")
ENTROPY_TOKENS = st.one_of(
    st.binary(min_size=1, max_size=9).map(lambda b: b.replace(b"\xff", b"\xfe")),
    st.just(b"\xff\x00"),  # stuffing
    st.integers(0xD0, 0xD7).map(lambda m: bytes((0xFF, m))),  # restart
    st.just(b"\xff\xff"),  # fill
    st.integers(0, 255).map(lambda m: bytes((0xFF, m))),  # anything, markers included
    st.just(b"\xff"),
)


@settings(max_examples=400, deadline=None, database=None)
@given(
    data=st.lists(ENTROPY_TOKENS, max_size=40).map(b"".join),
    start=st.integers(0, 60),
    block=st.sampled_from([1, 2, 3, 5, 16, 1 << 18]),
)
def test_scan_end_is_the_first_marker_as_the_standard_defines(
    data: bytes, start: int, block: int
) -> None:
    match = SCAN_END.search(data, start)
    assert find_scan_end(data, start, block) == (match.start() if match else -1)


def test_scan_end_of_a_real_photo_at_every_block_size() -> None:
    data = samples.jpeg(samples.picture(320, 240), restart_marker_blocks=2)
    start = data.index(b"\xff\xda")
    start += 2 + struct.unpack_from(">H", data, start + 2)[0]
    expected = SCAN_END.search(data, start).start()
    assert expected == len(data) - 2  # the end-of-image marker
    for block in (1, 7, 64, 4096, 1 << 18):
        assert find_scan_end(data, start, block) == expected


def test_a_segment_hidden_inside_the_picture_data_is_refused_not_copied() -> None:
    data = samples.jpeg(samples.picture(320, 240))
    [scan] = samples.scan_data(data)
    middle = data.index(scan) + len(scan) // 2
    while data[middle - 1] == 0xFF:
        middle += 1  # not between 0xFF and its stuffing byte
    hidden = samples.segment(0xE1, b"Exif\x00\x00" + samples.SECRET_TEXT.encode())
    with pytest.raises(CorruptImage, match="damaged"):
        strip_jpeg(data[:middle] + hidden + data[middle:])


@pytest.mark.parametrize(
    "data",
    [
        samples.phone_jpeg(),
        samples.jpeg(samples.picture(64, 48), progressive=True, icc=samples.icc_profile()),
        samples.png(),
        samples.webp(exif=samples.exif_bytes()),
    ],
)
def test_pieces_are_the_stripped_file_and_jpeg_scans_are_not_copied(data: bytes) -> None:
    pieces = strip_parts(data, verify=False)
    assert b"".join(pieces) == strip_metadata(data)
    if data[:2] == b"\xff\xd8":
        views = [piece for piece in pieces if isinstance(piece, memoryview)]
        assert views and all(view.obj is data for view in views)
    assert strip_parts(data) == [strip_metadata(data)]
