"""Thumbnails (upright, never upscaled, from a scaled decode) and hashes."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from tests.media import samples
from trove.media import (
    NEAR_DUPLICATE_DISTANCE,
    CorruptImage,
    hamming,
    make_thumbnails,
    perceptual_hash,
    sha256_hex,
)
from trove.media.decode import decode
from trove.media.thumbnails import cover_crop


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_thumbnails_fit_each_size_as_jpeg() -> None:
    data = samples.jpeg(samples.picture(2000, 1500))
    thumbs = make_thumbnails(data, (320, 1280))
    assert set(thumbs) == {320, 1280}
    assert opened(thumbs[1280]).size == (1280, 960)
    assert opened(thumbs[320]).size == (320, 240)
    assert all(opened(thumb).format == "JPEG" for thumb in thumbs.values())


def test_small_pictures_are_never_upscaled() -> None:
    thumbs = make_thumbnails(samples.png(samples.picture(200, 100), text=False), (320, 1280))
    assert opened(thumbs[320]).size == opened(thumbs[1280]).size == (200, 100)


def test_thumbnails_are_upright() -> None:
    image = samples.picture(400, 200)
    image.paste((255, 0, 0), (0, 0, 100, 100))  # a red block at the top left
    data = samples.jpeg(image, exif=samples.exif_bytes(orientation=6), quality=95)
    thumb = opened(make_thumbnails(data, (100,))[100]).convert("RGB")
    assert thumb.size == (50, 100)  # portrait, as displayed
    red, green, blue = thumb.getpixel((thumb.width - 3, 3))  # turned clockwise: top right
    assert red > 200 and green < 60 and blue < 60


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((320, 240), (192, 144)),
        ((240, 320), (192, 144)),
        ((320, 120), (160, 120)),
        ((90, 40), (53, 40)),
    ],
)
def test_cover_crop_is_the_centre_a_4_3_box_shows(size, expected) -> None:
    # Red everywhere but the centred 4:3 region (blue): the crop keeps that region only.
    image = Image.new("RGB", size, (255, 0, 0))
    width, height = size
    region = (min(width, height * 4 // 3), min(height, width * 3 // 4))
    left, top = (width - region[0]) // 2, (height - region[1]) // 2
    image.paste((0, 0, 255), (left, top, left + region[0], top + region[1]))
    crop = opened(cover_crop(samples.jpeg(image, quality=95), (192, 144)))
    assert crop.format == "JPEG" and crop.size == expected
    rgb = crop.convert("RGB")
    for x, y in ((1, 1), (crop.width - 2, crop.height - 2), (crop.width // 2, crop.height // 2)):
        red, _green, blue = rgb.getpixel((x, y))
        assert blue > 180 and red < 90, (x, y, red, blue)


def test_thumbnails_carry_no_metadata() -> None:
    data = samples.jpeg(samples.picture(400, 300), exif=samples.exif_bytes(orientation=3))
    for thumb in make_thumbnails(data).values():
        image = opened(thumb)
        assert "exif" not in image.info and b"Exif" not in thumb
        assert samples.SECRET_TEXT.encode() not in thumb


def test_transparency_is_flattened_onto_white() -> None:
    image = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    data = samples.png(image, text=False)
    thumb = opened(make_thumbnails(data, (20,))[20]).convert("RGB")
    assert thumb.getpixel((10, 10)) == (255, 255, 255)


def test_make_thumbnails_never_decodes_a_big_jpeg_at_full_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PIL import JpegImagePlugin

    loaded: list[tuple[int, int]] = []
    real_load = JpegImagePlugin.JpegImageFile.load

    def spy(self: JpegImagePlugin.JpegImageFile) -> object:
        loaded.append(self.size)  # the size the decoder is about to produce
        return real_load(self)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy)
    data = samples.jpeg(samples.picture(4000, 3000))
    thumbs = make_thumbnails(data, (320, 1280))
    assert loaded and max(loaded) == (2000, 1500)  # libjpeg scaled by 1/2, not 4000x3000
    assert opened(thumbs[1280]).size == (1280, 960)
    loaded.clear()
    make_thumbnails(data, (320,))
    assert max(loaded) == (500, 375)  # 1/8 is enough for 320


def test_jpeg_is_decoded_at_a_reduced_scale() -> None:
    data = samples.jpeg(samples.picture(4000, 3000))
    assert decode(data, "jpeg", longest=1280).size == (2000, 1500)
    assert decode(data, "jpeg", longest=320).size == (500, 375)
    assert decode(data, "jpeg", longest=5000).size == (4000, 3000)


@pytest.mark.parametrize(
    "data",
    [
        samples.png(samples.picture(300, 200).convert("P"), text=False),
        samples.png(samples.picture(300, 200).convert("LA"), text=False),
        samples.png(samples.picture(300, 200).convert("I;16"), text=False),
        samples.jpeg(samples.picture(300, 200).convert("CMYK")),
        samples.webp(samples.picture(300, 200).convert("RGBA"), lossless=True),
    ],
    ids=["palette", "grey-alpha", "grey-16", "cmyk", "webp-alpha"],
)
def test_every_mode_makes_a_thumbnail(data: bytes) -> None:
    thumb = opened(make_thumbnails(data, (100,))[100])
    assert thumb.size == (100, 67) and thumb.mode in ("RGB", "L")


def test_thumbnail_of_corrupt_input_raises_media_error() -> None:
    with pytest.raises(CorruptImage):
        make_thumbnails(samples.jpeg()[:300])


def test_bad_sizes_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="positive"):
        make_thumbnails(samples.jpeg(), (0,))


def test_sha256_hex() -> None:
    assert sha256_hex(b"trove") == hashlib.sha256(b"trove").hexdigest()


def test_hamming() -> None:
    assert hamming(0, 0) == 0
    assert hamming(0b1011, 0b0001) == 2
    assert hamming(2**64 - 1, 0) == 64


def test_near_duplicates_hash_close_and_different_photos_far() -> None:
    original = samples.picture(800, 600, seed=1)
    data = samples.jpeg(original, quality=92)
    base = perceptual_hash(data)
    assert 0 <= base < 2**64
    resized = samples.jpeg(original.resize((400, 300)), quality=60)
    as_png = samples.png(original.resize((640, 480)), text=False)
    rotated_by_exif = samples.jpeg(
        original.transpose(Image.Transpose.ROTATE_90), exif=samples.exif_bytes(orientation=6)
    )
    for copy in (resized, as_png, rotated_by_exif):
        assert hamming(base, perceptual_hash(copy)) <= NEAR_DUPLICATE_DISTANCE
    for seed in (2, 3, 4):
        other = perceptual_hash(samples.jpeg(samples.picture(800, 600, seed=seed)))
        assert hamming(base, other) > NEAR_DUPLICATE_DISTANCE + 4
