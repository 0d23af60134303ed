"""GPS never leaves the phone: the in-browser stripper (static/strip-worker.js) in Chromium.

The worker mirrors the server's allowlist, so on the same input it must give the server's
output (byte for byte for JPEG and WebP; for PNG the same chunks, the colour profile
recompressed by the browser). Where the server re-encodes (a turned PNG or WebP) the worker
keeps only the orientation and leaves the turning to the server.
"""

from __future__ import annotations

import base64
import io
import random
import struct
import zlib

import piexif
import pytest
from PIL import Image

from tests.media import samples
from trove.media.errors import MediaError
from trove.media.exif import orientation_tiff
from trove.media.strip.jpeg import strip_jpeg
from trove.media.strip.png import iter_chunks, strip_png
from trove.media.strip.webp import strip_webp

pytestmark = pytest.mark.browser

# Send bytes in as base64, run the worker's lossless strip, bring the result back the same way.
STRIP = """
async (cases) => {
  const b64 = (bytes) => {
    let s = "";
    for (let i = 0; i < bytes.length; i += 32768) {
      s += String.fromCharCode.apply(null, bytes.subarray(i, i + 32768));
    }
    return btoa(s);
  };
  const results = {};
  for (const [name, data] of Object.entries(cases)) {
    const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
    try {
      const out = await window.TroveStrip.strip(new Blob([bytes]));
      results[name] = {kind: out.kind, data: b64(out.bytes)};
    } catch (error) {
      results[name] = {error: String(error.message)};
    }
  }
  return results;
}
"""

LEAKS = (
    samples.SECRET_TEXT.encode(),
    b"SN-0042-7777",
    b"LENS-998877",
    b"PhoneCo",
    b"GPSLatitude",
    b"2024:05:01",
)


def browser_strip(page, cases: dict[str, bytes]) -> dict[str, dict]:
    """Return the worker's answer for each named input."""
    encoded = {name: base64.b64encode(data).decode() for name, data in cases.items()}
    answers = page.evaluate(STRIP, encoded)
    for answer in answers.values():
        if "data" in answer:
            answer["bytes"] = base64.b64decode(answer.pop("data"))
    return answers


def png_chunk_list(data: bytes) -> list[tuple[bytes, bytes]]:
    return [(kind, bytes(payload)) for kind, _whole, payload in iter_chunks(data)]


def rgb(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGBA").tobytes()


def test_worker_gives_the_servers_output(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + "/login")
    jpegs = {
        "phone": samples.phone_jpeg(samples.picture(320, 240, seed=3)),
        "turned": samples.phone_jpeg(samples.picture(320, 240, seed=3), orientation=6),
        "upright-tag": samples.phone_jpeg(samples.picture(320, 240, seed=3), orientation=1),
        "progressive": samples.insert_after_soi(
            samples.jpeg(progressive=True, exif=samples.exif_bytes()), samples.comment_segment()
        ),
        "grey": samples.jpeg(samples.picture(mode="L"), exif=samples.exif_bytes()),
    }
    webps = {
        "webp-lossy": samples.webp(
            exif=samples.exif_bytes(), xmp=samples.XMP, icc_profile=samples.icc_profile()
        ),
        "webp-lossless": samples.webp(exif=samples.exif_bytes(), xmp=samples.XMP, lossless=True),
        "webp-simple": samples.webp(quality=80) + b"TRAILER" + samples.SECRET_TEXT.encode(),
    }
    pngs = {
        "png": samples.insert_png_chunks(
            samples.png(icc_profile=samples.icc_profile()),
            samples.png_chunk(b"eXIf", samples.tiff_orientation(1)),
            samples.png_chunk(b"tIME", b"\x07\xe8\x05\x01\x0a\x0b\x0c"),
        ),
        # A colour profile that inflates past 16 MB is dropped, never inflated whole.
        "png-bomb": samples.insert_png_chunks(
            samples.png(),
            samples.png_chunk(b"iCCP", b"bomb\x00\x00" + zlib.compress(bytes(17 << 20), 9)),
        ),
    }
    answers = browser_strip(page, {**jpegs, **webps, **pngs})

    for name, data in jpegs.items():
        assert answers[name]["kind"] == "jpeg", answers[name]
        assert answers[name]["bytes"] == strip_jpeg(data), name
        assert samples.scan_data(answers[name]["bytes"]) == samples.scan_data(data)
    turned = answers["turned"]["bytes"]
    assert piexif.load(turned)["0th"] == {piexif.ImageIFD.Orientation: 6}

    for name, data in webps.items():
        assert answers[name]["kind"] == "webp", answers[name]
        assert answers[name]["bytes"] == strip_webp(data), name
    lossy = answers["webp-lossy"]["bytes"]
    kinds = [lossy[pos : pos + 4] for pos in (12,)]
    assert kinds == [b"VP8X"] and lossy[20] & 0x0C == 0 and lossy[20] & 0x20  # EXIF/XMP off, ICC on
    assert b"EXIF" not in lossy and b"XMP " not in lossy

    for name, data in pngs.items():
        ours = answers[name]["bytes"]
        mine, theirs = png_chunk_list(ours), png_chunk_list(strip_png(data))
        assert [kind for kind, _ in mine] == [kind for kind, _ in theirs], name
        for (kind, payload), (_kind, expected) in zip(mine, theirs, strict=True):
            if kind == b"iCCP":  # the same cleaned profile, compressed by a different deflate
                prefix = b"ICC profile\x00\x00"
                assert payload.startswith(prefix) and expected.startswith(prefix)
                assert zlib.decompress(payload[len(prefix) :]) == zlib.decompress(
                    expected[len(prefix) :]
                )
            else:
                assert payload == expected, (name, kind)
        assert rgb(ours) == rgb(strip_png(data))
    assert b"iCCP" in dict(png_chunk_list(answers["png"]["bytes"]))
    assert b"iCCP" not in dict(png_chunk_list(answers["png-bomb"]["bytes"]))

    for name, answer in answers.items():
        for leak in LEAKS:
            assert leak not in answer["bytes"], (name, leak)
    context.close()


def test_worker_keeps_only_the_orientation_where_the_server_turns_pixels(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + "/login")
    png = samples.insert_png_chunks(
        samples.png(), samples.png_chunk(b"eXIf", samples.tiff_orientation(6))
    )
    webp = samples.webp(exif=b"Exif\x00\x00" + samples.tiff_orientation(8), xmp=samples.XMP)
    answers = browser_strip(page, {"png": png, "webp": webp})

    ours = answers["png"]["bytes"]
    kinds = [kind for kind, _ in png_chunk_list(ours)]
    assert kinds[:2] == [b"IHDR", b"eXIf"] and b"tEXt" not in kinds and b"iTXt" not in kinds
    assert dict(png_chunk_list(ours))[b"eXIf"] == orientation_tiff(6)
    assert rgb(ours) == rgb(png)
    # The server then turns it upright, as it does for any turned PNG.
    assert strip_png(ours) == strip_png(png)

    ours = answers["webp"]["bytes"]
    assert b"XMP " not in ours and b"Jane" not in ours
    (size,) = struct.unpack_from("<I", ours, 4)
    assert size == len(ours) - 8 and ours[20] & 0x08 and not ours[20] & 0x04
    assert ours.endswith(b"EXIF" + struct.pack("<I", 26) + orientation_tiff(8))
    assert rgb(strip_webp(ours)) == rgb(strip_webp(webp))
    context.close()


def test_what_the_worker_cannot_read_is_left_to_the_server(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + "/login")
    good = samples.jpeg(exif=samples.exif_bytes())
    cut = good[: len(good) // 2]
    answers = browser_strip(page, {"heic": samples.heic(), "cut": cut, "text": b"hello"})
    assert all("error" in answer for answer in answers.values()), answers
    prepared = page.evaluate(
        """async (data) => {
          const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
          const file = new File([bytes], "x.heic");
          const out = await window.TroveStrip.prepare(file, {});
          return [out.blob === file, out.strippedOnDevice, out.note];
        }""",
        base64.b64encode(samples.heic()).decode(),
    )
    assert prepared == [True, False, "Location will be removed on our server"]
    context.close()


def _mutants(data: bytes, seed: int, count: int) -> list[bytes]:
    """Return damaged copies of ``data``: cut short, a byte changed, garbage inserted."""
    rng = random.Random(seed)
    header = min(len(data), 2048)  # where the structure lives; scans are checked by decoding
    out = []
    for index in range(count):
        at = rng.randrange(2, header)
        if index % 3 == 0:
            out.append(data[: rng.randrange(2, len(data))])
        elif index % 3 == 1:
            out.append(data[:at] + bytes((rng.randrange(256),)) + data[at + 1 :])
        else:
            out.append(data[:at] + rng.randbytes(rng.randrange(1, 9)) + data[at:])
    return out


@pytest.mark.parametrize(
    ("kind", "strip"),
    [("jpeg", strip_jpeg), ("webp", strip_webp), ("png", strip_png)],
)
def test_worker_refuses_what_the_server_refuses(browser, live_server, kind, strip):
    # On damaged files the worker and the server agree: both refuse (the file then goes as
    # chosen and the server gives the reason), or both give the same bytes.
    source = {
        "jpeg": samples.jpeg(exif=samples.exif_bytes(), icc=samples.icc_profile()),
        "webp": samples.webp(exif=samples.exif_bytes(), xmp=samples.XMP),
        "png": samples.png(),
    }[kind]
    cases = {str(index): data for index, data in enumerate(_mutants(source, 7, 60))}
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + "/login")
    answers = browser_strip(page, cases)
    context.close()
    for name, data in cases.items():
        try:
            expected = strip(data)
        except MediaError:
            assert "error" in answers[name], name
        else:
            assert answers[name].get("bytes") == expected, name
