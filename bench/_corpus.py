"""A corpus of realistic phone photos for the media benchmarks, built in a directory.

JPEGs are 12 MP (4032×3024) with what phones write: full EXIF (GPS, serial numbers, owner,
a MakerNote-sized vendor blob, an embedded thumbnail), XMP with GPS, IPTC, an ICC profile,
and an MPF-style second picture after the end of the image on some. Pixels are smooth
gradients with coarse and fine noise, so files land at 3-5 MB like real photos. A few PNG
and WebP files carry text, EXIF and XMP chunks.
"""

from __future__ import annotations

import io
import json
import random
import struct
import subprocess
import zlib
from pathlib import Path

import piexif
from PIL import Image, ImageChops, ImageCms
from PIL.PngImagePlugin import PngInfo

WIDTH, HEIGHT = 4032, 3024
OWNER = "Jane Doe 221B Baker Street"
SECRETS = (OWNER, "PhoneCo", "SN-0042", "Secret caption", "London")
XMP = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    'xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'exif:GPSLatitude="51,31.43N" exif:GPSLongitude="0,9.65W"><dc:creator><rdf:Seq><rdf:li>'
    f"{OWNER}</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"
    '<?xpacket end="w"?>'
).encode()


def _segment(marker: int, body: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(body) + 2) + body


def _exif(orientation: int, rng: random.Random) -> bytes:
    thumb = io.BytesIO()
    Image.new("RGB", (160, 120), (rng.randrange(256), 90, 40)).save(thumb, "JPEG", quality=80)
    return piexif.dump(
        {
            "0th": {
                piexif.ImageIFD.Make: b"PhoneCo",
                piexif.ImageIFD.Model: b"Phone 15 Pro",
                piexif.ImageIFD.Orientation: orientation,
                piexif.ImageIFD.Software: b"17.1",
                piexif.ImageIFD.DateTime: b"2024:05:01 10:11:12",
                piexif.ImageIFD.Artist: OWNER.encode(),
            },
            "Exif": {
                piexif.ExifIFD.DateTimeOriginal: b"2024:05:01 10:11:12",
                piexif.ExifIFD.BodySerialNumber: b"SN-0042-7777",
                piexif.ExifIFD.CameraOwnerName: OWNER.encode(),
                piexif.ExifIFD.MakerNote: b"Apple iOS\x00" + rng.randbytes(30_000),
            },
            "GPS": {
                piexif.GPSIFD.GPSLatitudeRef: b"N",
                piexif.GPSIFD.GPSLatitude: ((51, 1), (31, 1), (rng.randrange(6000), 100)),
                piexif.GPSIFD.GPSLongitudeRef: b"W",
                piexif.GPSIFD.GPSLongitude: ((0, 1), (9, 1), (rng.randrange(6000), 100)),
            },
            "1st": {piexif.ImageIFD.JPEGInterchangeFormat: 0},
            "thumbnail": thumb.getvalue(),
        }
    )


def _iptc() -> bytes:
    records = b""
    for dataset, value in ((80, OWNER), (90, "London"), (120, "Secret caption")):
        records += b"\x1c\x02" + bytes((dataset,)) + struct.pack(">H", len(value)) + value.encode()
    block = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(records)) + records
    return _segment(0xED, b"Photoshop 3.0\x00" + block + b"\x00" * (len(records) & 1))


class _Pixels:
    """Shared full-size layers; each photo is a cheap, distinct mix of them."""

    def __init__(self, width: int, height: int) -> None:
        rng = random.Random(2024)
        self.size = (width, height)
        ramp = Image.linear_gradient("L")
        self.gradients = [
            ramp.resize(self.size),
            ramp.transpose(Image.Transpose.ROTATE_90).resize(self.size),
            Image.radial_gradient("L").resize(self.size),
        ]
        coarse = (width // 6, height // 6)
        self.coarse = [
            Image.frombytes("L", coarse, rng.randbytes(coarse[0] * coarse[1])).resize(
                self.size, Image.Resampling.BICUBIC
            )
            for _ in range(3)
        ]
        self.fine = Image.frombytes("L", self.size, rng.randbytes(width * height))

    def photo(self, index: int) -> Image.Image:
        channels = []
        for channel in range(3):
            gradient = self.gradients[(index + channel) % 3]
            coarse = ImageChops.offset(self.coarse[channel], index * 97, index * 61)
            fine = ImageChops.offset(self.fine, index * 13 + channel * 7, index * 5)
            mixed = Image.blend(Image.blend(gradient, coarse, 0.45), fine, 0.1)
            channels.append(mixed)
        return Image.merge("RGB", channels)


def build(
    directory: Path,
    *,
    jpegs: int = 20,
    pngs: int = 3,
    webps: int = 3,
    size: tuple[int, int] = (WIDTH, HEIGHT),
    quality: int = 88,
) -> list[Path]:
    """Write the corpus into ``directory`` and return the files (JPEGs of ``size``)."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    pixels = _Pixels(*size)
    files: list[Path] = []
    for index in range(jpegs):
        image = pixels.photo(index)
        buffer = io.BytesIO()
        orientation = 6 if index % 3 == 0 else 1  # a third held in portrait
        image.save(buffer, "JPEG", quality=quality, exif=_exif(orientation, rng), icc_profile=icc)
        data = buffer.getvalue()
        extra = _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP) + _iptc()
        data = data[:2] + extra + data[2:]
        if index % 4 == 0:  # an MPF-style second (depth or HDR) picture after EOI
            second = io.BytesIO()
            image.resize((size[0] // 4, size[1] // 4)).save(second, "JPEG", quality=70)
            data += second.getvalue()
        path = directory / f"IMG_{index:04d}.jpg"
        path.write_bytes(data)
        files.append(path)
    small = _Pixels(2048, 1536)
    for index in range(pngs):
        info = PngInfo()
        info.add_text("Author", OWNER)
        info.add_itxt("XML:com.adobe.xmp", XMP.decode())
        buffer = io.BytesIO()
        small.photo(index).resize((1170, 1560)).save(buffer, "PNG", pnginfo=info, compress_level=6)
        data = buffer.getvalue()
        exif = piexif.dump({"0th": {piexif.ImageIFD.Artist: OWNER.encode()}})[6:]
        chunk = struct.pack(">I", len(exif)) + b"eXIf" + exif
        chunk += struct.pack(">I", zlib.crc32(b"eXIf" + exif))
        data = data[:33] + chunk + data[33:]
        path = directory / f"Screenshot_{index:02d}.png"
        path.write_bytes(data)
        files.append(path)
    for index in range(webps):
        buffer = io.BytesIO()
        small.photo(index + 5).save(
            buffer, "WEBP", quality=85, exif=_exif(1, rng), xmp=XMP, icc_profile=icc
        )
        path = directory / f"photo_{index:02d}.webp"
        path.write_bytes(buffer.getvalue())
        files.append(path)
    return files


def exiftool_problems(paths: list[Path], exiftool: str) -> dict[str, list[str]]:
    """Read every file back with exiftool (one process); return the leaks found per path."""
    result = subprocess.run(
        [exiftool, "-j", "-a", "-G1", "-struct", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    found: dict[str, list[str]] = {}
    for tags in json.loads(result.stdout or "[]"):
        problems = []
        for key, value in tags.items():
            group, _, name = key.partition(":")
            text = json.dumps(value)
            bad_group = group.startswith(("XMP", "IPTC", "Photoshop", "MakerNotes", "GPS", "IFD1"))
            bad_group = bad_group or group in ("ExifIFD", "MPF0", "MPImage2")
            bad_name = any(
                word in name for word in ("GPS", "Serial", "Comment", "Thumbnail", "Owner")
            )
            stray_exif = group == "IFD0" and name != "Orientation"
            if bad_group or bad_name or stray_exif or any(secret in text for secret in SECRETS):
                problems.append(key)
        found[tags["SourceFile"]] = problems
    return found
