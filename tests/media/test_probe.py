"""Format detection from magic bytes, and header-only probing with a pixel limit."""

from __future__ import annotations

import struct
import zlib

import pytest

from tests.media import samples
from trove.media import (
    CorruptImage,
    ImageInfo,
    ImageTooLarge,
    MediaError,
    UnsupportedFormat,
    detect_format,
    probe,
    strip_metadata,
)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (samples.jpeg(), "jpeg"),
        (samples.png(text=False), "png"),
        (samples.webp(), "webp"),
        (samples.heic(samples.picture(32, 32)), "heic"),
    ],
)
def test_detect_format_reads_magic_bytes(data: bytes, kind: str) -> None:
    assert detect_format(data) == kind


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"Hello, this is a text file renamed to photo.jpg\n" * 5,
        b"GIF89a" + b"\x00" * 40,
        b"BM" + b"\x00" * 60,
        b"%PDF-1.7\n" + b"\x00" * 40,
        b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 20,
        b"RIFF\x10\x00\x00\x00WAVEfmt ",
    ],
    ids=["empty", "text", "gif", "bmp", "pdf", "avif", "wav"],
)
def test_other_files_are_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedFormat) as caught:
        detect_format(data)
    message = str(caught.value)
    assert "\n" not in message and message.endswith(".")
    with pytest.raises(UnsupportedFormat):
        strip_metadata(data)


def test_empty_file_says_so() -> None:
    with pytest.raises(MediaError, match="empty"):
        probe(b"")


def test_text_renamed_jpg_has_the_standard_reason() -> None:
    with pytest.raises(UnsupportedFormat, match=r"not a JPEG, PNG, WebP or HEIC image\."):
        probe(b"just some text")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (samples.jpeg(samples.picture(120, 80)), ImageInfo("jpeg", 120, 80, 1)),
        (
            samples.jpeg(samples.picture(120, 80), exif=samples.exif_bytes(orientation=6)),
            ImageInfo("jpeg", 80, 120, 6),
        ),
        (samples.png(samples.picture(50, 30), text=False), ImageInfo("png", 50, 30, 1)),
        (samples.webp(samples.picture(50, 30)), ImageInfo("webp", 50, 30, 1)),
        (samples.webp(samples.picture(50, 30), lossless=True), ImageInfo("webp", 50, 30, 1)),
        (
            samples.webp(samples.picture(50, 30), exif=samples.exif_bytes(orientation=8)),
            ImageInfo("webp", 30, 50, 8),
        ),
    ],
)
def test_probe_reports_displayed_size(data: bytes, expected: ImageInfo) -> None:
    assert probe(data) == expected


def test_probe_refuses_a_decompression_bomb_without_decoding() -> None:
    # A 30000x30000 PNG header whose picture data is a few bytes: probe never inflates it.
    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + samples.png_chunk(b"IHDR", header)
        + samples.png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + samples.png_chunk(b"IEND", b"")
    )
    with pytest.raises(ImageTooLarge, match=r"30000×30000 pixels; the maximum is 100 megapixels"):
        probe(bomb)
    with pytest.raises(ImageTooLarge):
        strip_metadata(bomb)


def test_jpeg_bomb_header_is_refused() -> None:
    data = bytearray(samples.jpeg())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60000, 60000)
    with pytest.raises(ImageTooLarge):
        probe(bytes(data))


def test_max_pixels_is_configurable() -> None:
    data = samples.jpeg(samples.picture(120, 80))
    assert probe(data, max_pixels=9600).width == 120
    with pytest.raises(ImageTooLarge, match="0.0095 megapixels"):
        probe(data, max_pixels=9500)


def test_animation_counts_every_frame() -> None:
    import io

    frames = [samples.picture(40, 40, seed=seed) for seed in range(4)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "PNG", save_all=True, append_images=frames[1:])
    assert probe(buffer.getvalue()).frames == 4
    with pytest.raises(ImageTooLarge, match="4 frames"):
        probe(buffer.getvalue(), max_pixels=5000)


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff",
        b"\xff\xd8\xff\xe0\x00\x10JFIF",
        samples.jpeg()[:100],
        b"\x89PNG\r\n\x1a\n\x00\x00",
        b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    ],
)
def test_truncated_headers_are_corrupt(data: bytes) -> None:
    with pytest.raises(CorruptImage):
        probe(data)


def test_png_probe_and_strip_agree_on_the_first_of_two_exif_chunks() -> None:
    two = samples.insert_png_chunks(
        samples.png(samples.picture(40, 20), text=False),
        samples.png_chunk(b"eXIf", samples.tiff_orientation(6)),
        samples.png_chunk(b"eXIf", samples.tiff_orientation(1)),
    )
    info = probe(two)
    assert (info.orientation, info.width, info.height) == (6, 20, 40)
    clean = probe(strip_metadata(two))
    assert (clean.width, clean.height) == (20, 40)


def test_webp_probe_reads_the_first_of_two_exif_chunks() -> None:
    exif = b"Exif\x00\x00" + samples.tiff_orientation(6)
    still = samples.webp(samples.picture(40, 20), exif=exif)
    # Append a second EXIF chunk saying "upright": the first one is the one that counts.
    extra = samples.riff_chunk(b"EXIF", samples.tiff_orientation(1))
    body = still[12:] + extra
    two = b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body
    info = probe(two)
    assert (info.orientation, info.width, info.height) == (6, 20, 40)
