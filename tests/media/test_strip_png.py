"""PNG stripping: only picture chunks survive, CRCs are checked, orientation is honoured."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from tests.media import samples
from tests.media.exiftool import assert_clean, requires_exiftool
from trove.media import CorruptImage, UnsupportedFormat, probe, strip_metadata
from trove.media.strip.png import iter_chunks


def chunk_types(data: bytes) -> list[bytes]:
    return [kind for kind, _whole, _payload in iter_chunks(data)]


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.fixture
def tagged_png() -> bytes:
    """A PNG with tEXt, zTXt, iTXt (incl. XMP), eXIf with GPS, tIME, an ICC profile and a tail."""
    data = samples.png(samples.picture(64, 48), icc_profile=samples.icc_profile())
    data = samples.insert_png_chunks(
        data,
        samples.png_chunk(b"eXIf", samples.tiff_orientation(1)),
        samples.png_chunk(b"tIME", struct.pack(">HBBBBB", 2024, 5, 1, 10, 11, 12)),
        samples.png_chunk(b"prVt", samples.SECRET_TEXT.encode()),
    )
    return data + b"after IEND " + samples.SECRET_TEXT.encode()


def test_only_picture_chunks_remain(tagged_png: bytes) -> None:
    clean = strip_metadata(tagged_png)
    assert set(chunk_types(clean)) == {b"IHDR", b"iCCP", b"IDAT", b"IEND"}
    assert clean.endswith(b"IEND\xaeB`\x82")
    assert samples.SECRET_TEXT.encode() not in clean


def test_pixels_are_identical(tagged_png: bytes) -> None:
    clean = strip_metadata(tagged_png)
    assert decoded(clean).tobytes() == decoded(tagged_png).tobytes()
    # IDAT is copied, not re-compressed.
    idat = [whole for kind, whole, _p in iter_chunks(tagged_png) if kind == b"IDAT"]
    assert b"".join(bytes(chunk) for chunk in idat) in clean


@requires_exiftool
def test_exiftool_finds_nothing(tagged_png: bytes, tmp_path) -> None:
    assert_clean(strip_metadata(tagged_png), tmp_path)


def test_palette_transparency_and_physical_size_are_kept() -> None:
    image = samples.picture(40, 30).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    data = samples.png(image, transparency=3, dpi=(72, 72))
    clean = strip_metadata(data)
    assert {b"PLTE", b"tRNS", b"pHYs"} <= set(chunk_types(clean))
    assert decoded(clean).tobytes() == decoded(data).tobytes()


def test_animated_png_frames_are_kept() -> None:
    frames = [samples.picture(32, 24, seed=seed) for seed in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "PNG", save_all=True, append_images=frames[1:], duration=100)
    data = samples.insert_png_chunks(buffer.getvalue(), samples.png_chunk(b"tEXt", b"Author\x00x"))
    clean = strip_metadata(data)
    assert {b"acTL", b"fcTL", b"fdAT"} <= set(chunk_types(clean))
    assert b"tEXt" not in chunk_types(clean)
    with Image.open(io.BytesIO(clean)) as image:
        assert image.n_frames == 3


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_rotated_png_is_re_encoded_upright_without_changing_pixels(orientation: int) -> None:
    image = samples.picture(60, 40)
    data = samples.insert_png_chunks(
        samples.png(image, dpi=(100, 50)),
        samples.png_chunk(b"eXIf", samples.tiff_orientation(orientation)),
    )
    assert probe(data).orientation == orientation
    clean = strip_metadata(data)
    assert b"eXIf" not in chunk_types(clean)
    info = probe(clean)
    assert info.orientation == 1
    expected = image.transpose(
        {
            3: Image.Transpose.ROTATE_180,
            6: Image.Transpose.ROTATE_270,
            8: Image.Transpose.ROTATE_90,
        }[orientation]
    )
    out = decoded(clean)
    assert out.size == expected.size == (info.width, info.height)
    assert out.convert("RGB").tobytes() == expected.tobytes()
    (phys,) = [bytes(p) for kind, _w, p in iter_chunks(clean) if kind == b"pHYs"]
    x, y, _unit = struct.unpack(">IIB", phys)
    assert (x < y) if orientation in (6, 8) else (x > y)  # pixel aspect turns with the picture


def test_sixteen_bit_rotated_png_keeps_a_minimal_exif_instead() -> None:
    raw = struct.pack(">IIBBBBB", 4, 2, 16, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes(range(row * 24, row * 24 + 24)) for row in range(2))
    data = (
        b"\x89PNG\r\n\x1a\n"
        + samples.png_chunk(b"IHDR", raw)
        + samples.png_chunk(b"eXIf", samples.tiff_orientation(6))
        + samples.png_chunk(b"IDAT", zlib.compress(rows))
        + samples.png_chunk(b"IEND", b"")
    )
    clean = strip_metadata(data)
    exif = [bytes(p) for kind, _w, p in iter_chunks(clean) if kind == b"eXIf"]
    assert len(exif) == 1 and b"Jane" not in exif[0]
    assert probe(clean).orientation == 6
    assert bytes(data[data.index(b"IDAT") - 4 :]) in clean  # picture data untouched


@pytest.mark.parametrize(
    ("mutate", "error", "reason"),
    [
        (lambda d: d[:-20], CorruptImage, "truncated"),
        (lambda d: d[:40], CorruptImage, "truncated"),
        (lambda d: d[:33] + b"\x00\x00\x00\x04abcd" + d[41:], CorruptImage, "damaged"),
        (lambda d: d.replace(b"IDAT", b"IDAX", 1), CorruptImage, "checksum"),
        (lambda d: d[:8] + samples.png_chunk(b"tEXt", b"a\x00b") + d[8:], CorruptImage, "header"),
        (
            lambda d: samples.insert_png_chunks(d, samples.png_chunk(b"CgBI", b"\x00" * 4)),
            UnsupportedFormat,
            "PNG feature",
        ),
    ],
)
def test_damaged_png_is_refused(mutate, error: type[Exception], reason: str) -> None:
    with pytest.raises(error, match=reason):
        strip_metadata(mutate(samples.png(text=False)))


def test_bad_crc_is_refused() -> None:
    data = bytearray(samples.png(text=False))
    data[29] ^= 0xFF  # last byte of IHDR's CRC
    with pytest.raises(CorruptImage, match="checksum"):
        strip_metadata(bytes(data))


def test_damaged_compressed_data_is_refused() -> None:
    data = samples.png(samples.picture(64, 48), text=False)
    pos = data.index(b"IDAT")
    (length,) = struct.unpack_from(">I", data, pos - 4)
    payload = bytearray(data[pos + 4 : pos + 4 + length])
    payload[10:20] = b"\xff" * 10
    rebuilt = (
        data[: pos - 4] + samples.png_chunk(b"IDAT", bytes(payload)) + data[pos + 8 + length :]
    )
    with pytest.raises(CorruptImage):
        strip_metadata(rebuilt)


def test_icc_profile_name_and_text_are_neutralised() -> None:
    profile = samples.icc_profile()
    named = b"Jane's calibrated screen\x00\x00" + zlib.compress(profile)
    data = samples.insert_png_chunks(samples.png(text=False), samples.png_chunk(b"iCCP", named))
    clean = strip_metadata(data)
    (payload,) = [bytes(p) for kind, _w, p in iter_chunks(clean) if kind == b"iCCP"]
    assert payload.startswith(b"ICC profile\x00\x00")
    assert len(zlib.decompress(payload[13:])) == len(profile)
