"""Face detection: small faces in large photos, tiles, boxes mapped back and merged."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageOps

from tests.faces import sample
from trove.blur import DETECT_LONGEST, Box, detect_faces, detect_in_photo
from trove.blur.faces import OVERLAP, merge, tiles
from trove.media import process_image

#: The astronaut's face as the detector draws it, in pixels of the 512 px sample.
FACE = (182, 58, 88, 120)


def _scene(size: tuple[int, int], faces: list[tuple[int, int, int]]) -> tuple[Image.Image, list]:
    """Return a picture with the astronaut pasted so each face is ``height`` px tall, its
    centre at (x, y), and the true face boxes (left, top, right, bottom) in pixels."""
    canvas = Image.new("RGB", size, (104, 122, 96))
    truths = []
    for centre_x, centre_y, height in faces:
        scale = height / FACE[3]
        portrait = sample("astronaut.png").resize(
            (round(512 * scale), round(512 * scale)), Image.Resampling.LANCZOS
        )
        left = round(centre_x - (FACE[0] + FACE[2] / 2) * scale)
        top = round(centre_y - (FACE[1] + FACE[3] / 2) * scale)
        canvas.paste(portrait, (left, top))
        half_w, half_h = FACE[2] * scale / 2, FACE[3] * scale / 2
        truths.append((centre_x - half_w, centre_y - half_h, centre_x + half_w, centre_y + half_h))
    return canvas, truths


def _finds(box: Box, truth, size: tuple[int, int]) -> bool:
    """Return whether ``box`` (fractions) holds the true face's centre and is about its size."""
    left, top, right, bottom = box.pixels(size)
    centre_x, centre_y = (truth[0] + truth[2]) / 2, (truth[1] + truth[3]) / 2
    ratio = (bottom - top) / (truth[3] - truth[1])
    return left <= centre_x <= right and top <= centre_y <= bottom and 0.8 <= ratio <= 2.5


def _jpeg(picture: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90, **params)
    return buffer.getvalue()


def test_a_small_face_in_a_12_mp_photo_is_found_at_full_resolution_coordinates():
    size = (4032, 3024)
    picture, truths = _scene(size, [(3100, 2300, 110)])

    boxes = detect_in_photo(_jpeg(picture), "jpeg")

    assert len(boxes) == 1
    assert _finds(boxes[0], truths[0], size)


def test_faces_are_found_upright_in_a_photo_stored_turned_with_an_orientation_tag():
    upright, truths = _scene((1600, 1200), [(400, 300, 160)])
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90° clockwise
    data = _jpeg(upright.transpose(Image.Transpose.ROTATE_90), exif=exif)
    assert ImageOps.exif_transpose(Image.open(io.BytesIO(data))).size == upright.size

    boxes = detect_in_photo(data, "jpeg")

    assert len(boxes) == 1
    assert _finds(boxes[0], truths[0], upright.size)


def test_faces_are_found_on_the_decode_the_media_job_kept_without_decoding_again():
    upright, truths = _scene((4032, 3024), [(3100, 700, 110)])
    exif = Image.Exif()
    exif[0x0112] = 8  # shown turned 90° anticlockwise
    data = _jpeg(upright.transpose(Image.Transpose.ROTATE_270), exif=exif)
    processed = process_image(data, keep_longest=DETECT_LONGEST)

    # Not the photo's bytes: the kept decode is all detection reads.
    boxes = detect_in_photo(b"", processed.format, picture=processed.picture)

    assert len(boxes) == 1
    assert _finds(boxes[0], truths[0], upright.size)
    assert boxes == detect_in_photo(processed.data, processed.format)


@pytest.mark.parametrize("size", [(2016, 1512), (4032, 3024), (1280, 960), (700, 3000)])
def test_tiles_cover_the_picture_and_overlap(size):
    width, height = size
    windows = tiles(width, height, 1024)

    covered = Image.new("1", size, 0)
    for left, top, span_w, span_h in windows:
        assert left >= 0 and top >= 0 and left + span_w <= width and top + span_h <= height
        assert span_w <= 1024 and span_h <= 1024
        covered.paste(1, (left, top, left + span_w, top + span_h))
    assert covered.getextrema() == (1, 1)
    starts_x = sorted({w[0] for w in windows})
    spans_x = {w[0]: w[2] for w in windows}
    for before, after in zip(starts_x, starts_x[1:], strict=False):
        assert before + spans_x[before] - after >= OVERLAP


def test_one_picture_is_one_tile_up_to_the_tile_size():
    assert tiles(2016, 1512, 2048) == [(0, 0, 2016, 1512)]


def test_a_face_cut_by_a_tile_edge_is_one_box():
    whole = (100.0, 100.0, 180.0, 200.0, 0.75)
    half = (100.0, 100.0, 140.0, 200.0, 0.5)  # the same face, cut by the neighbour's edge
    other = (400.0, 100.0, 480.0, 200.0, 0.625)

    assert merge([half, whole, other]) == [whole, other]


def test_tiled_detection_maps_boxes_back_and_merges_them_across_seams():
    size = (1280, 960)
    # Tiles of 640: the first face straddles the seam of the first two columns; the second
    # lies in the last tile only.
    picture, truths = _scene(size, [(540, 300, 110), (1100, 800, 110)])
    assert len(tiles(*size, 640)) > 2

    whole = detect_faces(picture, longest=1280, tile=2048)
    tiled = detect_faces(picture, longest=1280, tile=640)

    assert len(tiled) == len(whole) == 2
    for truth in truths:
        assert sum(_finds(box, truth, size) for box in tiled) == 1
    by_x = sorted(whole, key=lambda box: box.x), sorted(tiled, key=lambda box: box.x)
    for a, b in zip(*by_x, strict=True):
        assert abs(a.x - b.x) < 0.01 and abs(a.y - b.y) < 0.01 and abs(a.w - b.w) < 0.01
