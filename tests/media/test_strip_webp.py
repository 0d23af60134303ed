"""WebP stripping: RIFF rebuilt from picture chunks, flags and sizes right."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from tests.media import samples
from tests.media.exiftool import assert_clean, requires_exiftool
from trove.media import CorruptImage, probe, strip_metadata


def riff_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    (size,) = struct.unpack_from("<I", data, 4)
    assert size == len(data) - 8, "RIFF size must match the file"
    chunks, pos = [], 12
    while pos < len(data):
        kind = data[pos : pos + 4]
        (length,) = struct.unpack_from("<I", data, pos + 4)
        chunks.append((kind, data[pos + 8 : pos + 8 + length]))
        pos += 8 + length + (length & 1)
    return chunks


def rgba(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGBA").tobytes()


def test_simple_lossy_webp_is_kept_byte_for_byte() -> None:
    data = samples.webp(quality=80)
    assert strip_metadata(data) == data


def test_trailer_after_riff_is_dropped() -> None:
    data = samples.webp(lossless=True)
    assert strip_metadata(data + b"TRAILER" + samples.SECRET_TEXT.encode()) == data


@pytest.mark.parametrize("lossless", [False, True])
def test_exif_and_xmp_chunks_and_flags_are_removed(lossless: bool) -> None:
    data = samples.webp(
        exif=samples.exif_bytes(),
        xmp=samples.XMP,
        icc_profile=samples.icc_profile(),
        lossless=lossless,
    )
    kinds = [kind for kind, _p in riff_chunks(data)]
    assert b"EXIF" in kinds and b"XMP " in kinds
    clean = strip_metadata(data)
    chunks = riff_chunks(clean)
    assert [kind for kind, _p in chunks] == [b"VP8X", b"ICCP", b"VP8L" if lossless else b"VP8 "]
    flags = chunks[0][1][0]
    assert flags & 0x08 == 0 and flags & 0x04 == 0 and flags & 0x20
    assert rgba(clean) == rgba(data)
    assert samples.SECRET_TEXT.encode() not in clean


@requires_exiftool
def test_exiftool_finds_nothing(tmp_path) -> None:
    data = samples.webp(exif=samples.exif_bytes(), xmp=samples.XMP)
    assert_clean(strip_metadata(data), tmp_path)


def test_unknown_chunks_are_dropped_and_alpha_kept() -> None:
    image = samples.picture(48, 32).convert("RGBA")
    image.putalpha(Image.linear_gradient("L").resize((48, 32)))
    data = samples.webp(image, quality=90, exif=samples.exif_bytes())
    body = data[12:] + samples.riff_chunk(b"ZZZZ", samples.SECRET_TEXT.encode())
    data = b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body
    clean = strip_metadata(data)
    kinds = [kind for kind, _p in riff_chunks(clean)]
    assert b"ZZZZ" not in kinds and b"EXIF" not in kinds
    assert b"ALPH" in kinds or b"VP8L" in kinds
    assert rgba(clean) == rgba(data)


def test_animation_is_kept_frame_by_frame() -> None:
    frames = [samples.picture(32, 24, seed=seed) for seed in range(3)]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        "WEBP",
        save_all=True,
        append_images=frames[1:],
        duration=100,
        exif=samples.exif_bytes(),
    )
    clean = strip_metadata(buffer.getvalue())
    kinds = [kind for kind, _p in riff_chunks(clean)]
    assert kinds.count(b"ANMF") == 3 and b"ANIM" in kinds and b"EXIF" not in kinds
    with Image.open(io.BytesIO(clean)) as image:
        assert image.n_frames == 3


@pytest.mark.parametrize("lossless", [False, True])
def test_rotated_webp_is_re_encoded_upright_with_the_same_pixels(lossless: bool) -> None:
    image = samples.picture(60, 40)
    tiff = samples.tiff_orientation(6)
    data = samples.webp(image, exif=b"Exif\x00\x00" + tiff, lossless=lossless, quality=90)
    assert probe(data).orientation == 6
    clean = strip_metadata(data)
    assert b"EXIF" not in [kind for kind, _p in riff_chunks(clean)]
    info = probe(clean)
    assert (info.width, info.height, info.orientation) == (40, 60, 1)
    with Image.open(io.BytesIO(data)) as original:
        expected = original.convert("RGBA").transpose(Image.Transpose.ROTATE_270).tobytes()
    assert rgba(clean) == expected


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d[:-10], "truncated"),
        (lambda d: d[:20], "truncated"),
        (lambda d: d[:12] + b"JUNK" + d[16:], "no WebP picture header"),
        (lambda d: d[:12] + b"VP8 " + d[16:20] + b"\x00" * 8 + d[28:], "picture header"),
    ],
)
def test_damaged_webp_is_refused(mutate, reason: str) -> None:
    with pytest.raises(CorruptImage, match=reason):
        strip_metadata(mutate(samples.webp(quality=80)))


def test_damaged_bitstream_is_refused() -> None:
    data = bytearray(samples.webp(samples.picture(64, 48), lossless=True))
    data[40:80] = b"\x00" * 40
    with pytest.raises(CorruptImage):
        strip_metadata(bytes(data))
