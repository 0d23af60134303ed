"""HEIC: converted to an upright, metadata-free JPEG."""

from __future__ import annotations

import io

import piexif
import pytest
from PIL import Image

from tests.media import samples
from tests.media.exiftool import assert_clean, requires_exiftool
from trove.media import CorruptImage, detect_format, probe, process_image, strip_metadata


@pytest.fixture(scope="module")
def heic_with_gps() -> bytes:
    return samples.heic(samples.picture(96, 64), exif=samples.exif_bytes(orientation=6))


def test_heic_is_detected_and_probed_upright(heic_with_gps: bytes) -> None:
    assert detect_format(heic_with_gps) == "heic"
    info = probe(heic_with_gps)
    # pillow-heif turns EXIF orientation into a HEIF rotation: the displayed size is turned.
    assert (info.width, info.height, info.orientation) == (64, 96, 1)


def test_heic_becomes_a_clean_jpeg(heic_with_gps: bytes) -> None:
    clean = strip_metadata(heic_with_gps)
    assert detect_format(clean) == "jpeg"
    assert b"Exif" not in clean and samples.SECRET_TEXT.encode() not in clean
    with Image.open(io.BytesIO(clean)) as image:
        assert image.size == (64, 96)
        assert "exif" not in image.info
    assert not any(piexif.load(clean).values())


@requires_exiftool
def test_exiftool_finds_nothing_in_converted_heic(heic_with_gps: bytes, tmp_path) -> None:
    tags = assert_clean(strip_metadata(heic_with_gps), tmp_path)
    assert tags["File:FileType"] == "JPEG"


def test_heic_pixels_survive_conversion() -> None:
    image = samples.picture(96, 64)
    clean = strip_metadata(samples.heic(image))
    with Image.open(io.BytesIO(clean)) as out:
        difference = sum(
            abs(a - b)
            for a, b in zip(out.convert("L").tobytes(), image.convert("L").tobytes(), strict=True)
        )
    assert difference / (96 * 64) < 8  # two lossy codecs, but the same picture


def test_process_image_stores_heic_as_jpeg(heic_with_gps: bytes) -> None:
    processed = process_image(heic_with_gps)
    assert processed.format == "jpeg"
    assert (processed.width, processed.height) == (64, 96)
    assert set(processed.thumbnails) == {320, 1280}


def test_truncated_heic_is_refused(heic_with_gps: bytes) -> None:
    with pytest.raises(CorruptImage, match="HEIC"):
        strip_metadata(heic_with_gps[: len(heic_with_gps) // 2])


def _psnr(a: Image.Image, b: Image.Image) -> float:
    """Return the peak signal-to-noise ratio of ``b`` against ``a``, in dB (RGB)."""
    import math

    pairs = zip(a.convert("RGB").tobytes(), b.convert("RGB").tobytes(), strict=True)
    mse = sum((x - y) ** 2 for x, y in pairs) / (a.width * a.height * 3)
    return 10 * math.log10(255**2 / mse)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_heic_converts_at_high_fidelity(seed: int) -> None:
    from trove.media.decode import decode_heic

    data = samples.heic(samples.picture(640, 480, seed=seed))
    clean = strip_metadata(data)
    with Image.open(io.BytesIO(clean)) as out:
        assert _psnr(decode_heic(data), out) >= 42
    assert b"Exif" not in clean
