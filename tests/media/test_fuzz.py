"""Fuzzing: whatever bytes arrive, only MediaError ever comes out."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.media import samples
from trove.media import MediaError, probe, process_image, strip_metadata

SEEDS = [
    samples.jpeg(samples.picture(48, 32), exif=samples.exif_bytes(orientation=6)),
    samples.jpeg(samples.picture(48, 32), progressive=True),
    samples.png(samples.picture(40, 30), icc_profile=samples.icc_profile()),
    samples.webp(samples.picture(40, 30), exif=samples.exif_bytes(), quality=70),
    samples.webp(samples.picture(40, 30), lossless=True),
]
FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(["flip", "cut", "insert", "delete", "marker"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            data[at:at] = bytes((0xFF, draw(st.integers(0, 255))))
    return bytes(data)


def only_media_errors(data: bytes) -> None:
    for call in (probe, strip_metadata):
        with contextlib.suppress(MediaError):
            call(data)


@FUZZ
@given(mutated())
def test_mutated_images_raise_only_media_errors(data: bytes) -> None:
    only_media_errors(data)


@FUZZ
@given(
    st.sampled_from([b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x01\x00\x00WEBP", b""]),
    st.binary(max_size=400),
)
def test_random_bytes_behind_a_magic_number_raise_only_media_errors(
    magic: bytes, tail: bytes
) -> None:
    only_media_errors(magic + tail)


@settings(max_examples=40, deadline=None, database=None)
@given(mutated())
def test_process_image_raises_only_media_errors(data: bytes) -> None:
    with contextlib.suppress(MediaError):
        process_image(data, thumb_sizes=(32,))
