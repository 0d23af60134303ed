"""process_image: the one path from an upload to what is stored."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image

from tests.media import samples
from trove.media import (
    NEAR_DUPLICATE_DISTANCE,
    CorruptImage,
    ImageTooLarge,
    hamming,
    perceptual_hash,
    process_image,
    sha256_hex,
    strip_metadata,
)


def test_jpeg_upload_is_stripped_thumbnailed_and_hashed() -> None:
    data = samples.insert_after_soi(
        samples.jpeg(samples.picture(1600, 1200), exif=samples.exif_bytes(orientation=6)),
        samples.xmp_segment(),
    )
    processed = process_image(data)
    assert processed.data == strip_metadata(data)
    assert processed.format == "jpeg"
    assert (processed.width, processed.height) == (1200, 1600)
    assert processed.sha256 == sha256_hex(processed.data)
    assert hamming(processed.phash, perceptual_hash(data)) <= NEAR_DUPLICATE_DISTANCE
    sizes = {
        size: Image.open(io.BytesIO(thumb)).size for size, thumb in processed.thumbnails.items()
    }
    assert sizes == {320: (240, 320), 1280: (960, 1280)}


# The pictures are made when each test runs: made at collection, every pytest process paid.
@pytest.mark.parametrize(
    ("make", "size"),
    [
        # A JPEG's half-scale decode is long enough: kept at that scale, upright.
        (
            lambda: samples.jpeg(
                samples.picture(4000, 3000), exif=samples.exif_bytes(orientation=6)
            ),
            2000,
        ),
        (lambda: samples.png(samples.picture(3000, 1000)), 1500),  # box-reduced, not below 1200
        (lambda: samples.jpeg(samples.picture(900, 600)), 900),  # smaller than asked: kept whole
    ],
    ids=["jpeg-4000", "png-3000", "jpeg-900"],
)
def test_the_decode_is_kept_upright_and_long_enough_when_asked(
    make: Callable[[], bytes], size: int
) -> None:
    data = make()
    processed = process_image(data, keep_longest=1200)
    assert processed.picture is not None
    assert max(processed.picture.size) == size
    width, height = processed.picture.size
    assert abs(width / height - processed.width / processed.height) < 0.01
    assert (width > height) == (processed.width > processed.height)  # the same way up
    assert process_image(data).picture is None


def test_a_decode_shorter_than_asked_is_not_kept() -> None:
    data = samples.jpeg(samples.picture(4000, 3000))  # its half-scale decode is 2000 px long
    assert process_image(data, keep_longest=2016).picture is None


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda: samples.png(samples.picture(300, 200)), "png"),
        (lambda: samples.webp(samples.picture(300, 200), exif=samples.exif_bytes()), "webp"),
    ],
    ids=["png", "webp"],
)
def test_png_and_webp_stay_in_their_format(make: Callable[[], bytes], kind: str) -> None:
    processed = process_image(make(), thumb_sizes=(64,))
    assert processed.format == kind
    assert (processed.width, processed.height) == (300, 200)
    assert set(processed.thumbnails) == {64}


def test_same_picture_gives_same_result() -> None:
    data = samples.jpeg(samples.picture(640, 480), exif=samples.exif_bytes())
    assert process_image(data) == process_image(data)


def test_structurally_fine_but_undecodable_upload_is_refused() -> None:
    data = bytearray(samples.jpeg(samples.picture(320, 240)))
    sof = data.index(b"\xff\xc0")
    data[sof + 11] = 0x44  # sampling factors libjpeg refuses
    with pytest.raises(CorruptImage):
        process_image(bytes(data))


def test_pixel_limit_applies() -> None:
    with pytest.raises(ImageTooLarge):
        process_image(samples.jpeg(samples.picture(200, 100)), max_pixels=10_000)
