"""Build test images in memory: photo-like pixels, and every kind of metadata to strip."""

from __future__ import annotations

import io
import random
import struct
import zlib
from functools import cache

import piexif
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo

SECRET_TEXT = "Jane Doe 221B Baker Street"
GPS_IFD = {
    piexif.GPSIFD.GPSLatitudeRef: b"N",
    piexif.GPSIFD.GPSLatitude: ((51, 1), (31, 1), (2600, 100)),
    piexif.GPSIFD.GPSLongitudeRef: b"W",
    piexif.GPSIFD.GPSLongitude: ((0, 1), (9, 1), (3900, 100)),
}
XMP = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/"
    exif:GPSLatitude="51,31.43N" exif:GPSLongitude="0,9.65W" tiff:Orientation="1">
   <dc:creator><rdf:Seq><rdf:li>{SECRET_TEXT}</rdf:li></rdf:Seq></dc:creator>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def picture(width: int = 96, height: int = 64, *, mode: str = "RGB", seed: int = 0) -> Image.Image:
    """Return photo-like pixels: gradients with noise and a few shapes, different per seed."""
    channels = []
    turns = (
        None,
        Image.Transpose.ROTATE_90,
        Image.Transpose.ROTATE_180,
        Image.Transpose.ROTATE_270,
    )
    for index in range(3):
        if (seed + index) % 5 == 4:
            gradient = Image.radial_gradient("L").resize((width, height))
        else:
            gradient = Image.linear_gradient("L")
            turn = turns[(seed * 7 + index * 3) % 4]
            gradient = (gradient.transpose(turn) if turn else gradient).resize((width, height))
        small = (max(1, width // 8), max(1, height // 8))
        rng = random.Random(seed * 3 + index)  # deterministic: same seed, same bytes
        noise = Image.frombytes("L", small, rng.randbytes(small[0] * small[1]))
        noise = noise.resize((width, height), Image.Resampling.BICUBIC)
        channels.append(Image.blend(gradient, noise, 0.35 + 0.05 * (seed % 3)))
    image = Image.merge("RGB", channels)
    # A bright block whose place depends on the seed, so different seeds differ in shape.
    block = Image.new("RGB", (width // 3, height // 3), (250, 240, 20 * seed % 255))
    image.paste(block, ((seed * 37) % (width - width // 3), (seed * 23) % (height - height // 3)))
    return image.convert(mode) if mode != "RGB" else image


def exif_bytes(
    *,
    orientation: int | None = None,
    gps: bool = True,
    thumbnail: bool = True,
    makernote: bool = True,
) -> bytes:
    """Return a phone-like EXIF block: make, model, serials, owner, GPS, thumbnail."""
    zeroth = {
        piexif.ImageIFD.Make: b"PhoneCo",
        piexif.ImageIFD.Model: b"Phone 12 Pro",
        piexif.ImageIFD.Artist: SECRET_TEXT.encode(),
        piexif.ImageIFD.Copyright: b"(c) " + SECRET_TEXT.encode(),
        piexif.ImageIFD.DateTime: b"2024:05:01 10:11:12",
        piexif.ImageIFD.Software: b"PhoneOS 17.1",
    }
    if orientation is not None:
        zeroth[piexif.ImageIFD.Orientation] = orientation
    exif = {
        piexif.ExifIFD.DateTimeOriginal: b"2024:05:01 10:11:12",
        piexif.ExifIFD.BodySerialNumber: b"SN-0042-7777",
        piexif.ExifIFD.LensSerialNumber: b"LENS-998877",
        piexif.ExifIFD.CameraOwnerName: SECRET_TEXT.encode(),
    }
    if makernote:
        exif[piexif.ExifIFD.MakerNote] = b"Apple iOS\x00\x00\x01MM" + b"\x13\x37" * 200
    data: dict = {"0th": zeroth, "Exif": exif, "GPS": GPS_IFD if gps else {}, "1st": {}}
    if thumbnail:
        small = io.BytesIO()
        picture(32, 24, seed=9).save(small, "JPEG", quality=70)
        data["thumbnail"] = small.getvalue()
        data["1st"] = {piexif.ImageIFD.JPEGInterchangeFormat: 0}
    return piexif.dump(data)


def segment(marker: int, body: bytes) -> bytes:
    """Return a JPEG marker segment."""
    return bytes((0xFF, marker)) + struct.pack(">H", len(body) + 2) + body


def xmp_segment() -> bytes:
    """Return an APP1 XMP segment with GPS and a creator name."""
    return segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP)


def extended_xmp_segment() -> bytes:
    """Return an APP1 extended-XMP segment."""
    header = b"http://ns.adobe.com/xmp/extension/\x00" + b"0" * 32 + struct.pack(">II", 100, 0)
    return segment(0xE1, header + b"<x:xmpmeta>" + SECRET_TEXT.encode() + b"</x:xmpmeta>")


def iptc_segment() -> bytes:
    """Return a Photoshop APP13 segment holding IPTC by-line, city and caption."""
    records = b""
    for dataset, value in ((80, SECRET_TEXT), (90, "London"), (120, "Secret caption")):
        encoded = value.encode()
        records += b"\x1c\x02" + bytes((dataset,)) + struct.pack(">H", len(encoded)) + encoded
    block = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(records))
    block += records + b"\x00" * (len(records) & 1)
    return segment(0xED, b"Photoshop 3.0\x00" + block)


def comment_segment() -> bytes:
    """Return a COM segment."""
    return segment(0xFE, f"Taken by {SECRET_TEXT}".encode())


@cache
def icc_profile() -> bytes:
    """Return an sRGB ICC profile with identifying text in its description and copyright."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return profile


def jpeg(
    image: Image.Image | None = None,
    *,
    exif: bytes | None = None,
    icc: bytes | None = None,
    progressive: bool = False,
    quality: int = 90,
    **options: object,
) -> bytes:
    """Return ``image`` (a default picture) as a JPEG, with optional EXIF and ICC."""
    return encode(
        image, "JPEG", exif=exif, icc_profile=icc, quality=quality, progressive=progressive,
        **options,
    )


def phone_jpeg(image: Image.Image | None = None, **exif: object) -> bytes:
    """Return a JPEG carrying what phones and editors write: EXIF (GPS, serials, owner),
    ICC, XMP, extended XMP, IPTC, a comment, an MPF header and a second picture after EOI."""
    data = jpeg(image, exif=exif_bytes(**exif), icc=icc_profile())  # type: ignore[arg-type]
    mpf = segment(0xE2, b"MPF\x00" + b"MM\x00*" + b"\x00" * 40)
    segments = (xmp_segment(), extended_xmp_segment(), iptc_segment(), comment_segment(), mpf)
    return insert_after_soi(data, *segments) + jpeg(picture(64, 48, seed=5), exif=exif_bytes())


def encode(image: Image.Image | None, fmt: str, **options: object) -> bytes:
    """Return ``image`` (a default picture) saved as ``fmt``; options set to None are left out."""
    image = image if image is not None else picture()
    buffer = io.BytesIO()
    image.save(buffer, fmt, **{key: value for key, value in options.items() if value is not None})
    return buffer.getvalue()


def insert_after_soi(data: bytes, *segments: bytes) -> bytes:
    """Return the JPEG with ``segments`` inserted after SOI and any JFIF/EXIF headers."""
    pos = 2
    while data[pos + 1] in (0xE0, 0xE1):
        pos += 2 + struct.unpack_from(">H", data, pos + 2)[0]
    return data[:pos] + b"".join(segments) + data[pos:]


def scan_data(data: bytes) -> list[bytes]:
    """Return each scan's header and entropy-coded bytes of a JPEG, found independently."""
    scans = []
    pos = 2
    while True:
        marker = data[pos + 1]
        if marker == 0xD9:
            return scans
        length = struct.unpack_from(">H", data, pos + 2)[0]
        if marker != 0xDA:
            pos += 2 + length
            continue
        start = pos
        pos += 2 + length
        while not (data[pos] == 0xFF and data[pos + 1] not in (0x00, *range(0xD0, 0xD8), 0xFF)):
            pos += 1
        scans.append(data[start:pos])


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    """Return a PNG chunk with a correct CRC."""
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def insert_png_chunks(data: bytes, *chunks: bytes, before: bytes = b"IDAT") -> bytes:
    """Return the PNG with ``chunks`` inserted before the first ``before`` chunk."""
    pos = 8
    while data[pos + 4 : pos + 8] != before:
        pos += 12 + struct.unpack_from(">I", data, pos)[0]
    return data[:pos] + b"".join(chunks) + data[pos:]


def png(image: Image.Image | None = None, *, text: bool = True, **options: object) -> bytes:
    """Return a PNG carrying tEXt, zTXt and iTXt chunks (when ``text``)."""
    image = image if image is not None else picture()
    buffer = io.BytesIO()
    params: dict = dict(options)
    if text:
        info = PngInfo()
        info.add_text("Author", SECRET_TEXT)
        info.add_text("Comment", "GPS 51.5N 0.1W " * 20, zip=True)
        info.add_itxt(
            "Description", f"Fotografiert von {SECRET_TEXT}", lang="de", tkey="Beschreibung"
        )
        info.add_itxt("XML:com.adobe.xmp", XMP.decode())
        params["pnginfo"] = info
    image.save(buffer, "PNG", **params)
    return buffer.getvalue()


def tiff_orientation(orientation: int) -> bytes:
    """Return a TIFF structure with GPS-free IFD0 holding an orientation and an artist."""
    exif = piexif.dump(
        {
            "0th": {piexif.ImageIFD.Orientation: orientation, piexif.ImageIFD.Artist: b"Jane"},
            "GPS": GPS_IFD,
        }
    )
    return exif[6:] if exif.startswith(b"Exif\x00\x00") else exif


def webp(
    image: Image.Image | None = None,
    *,
    exif: bytes | None = None,
    xmp: bytes | None = None,
    **options: object,
) -> bytes:
    """Return ``image`` as WebP with optional EXIF and XMP chunks."""
    return encode(image, "WEBP", exif=exif, xmp=xmp, **options)


def riff_chunk(kind: bytes, payload: bytes) -> bytes:
    """Return a RIFF chunk padded to an even size."""
    return kind + struct.pack("<I", len(payload)) + payload + b"\x00" * (len(payload) & 1)


def heic(image: Image.Image | None = None, *, exif: bytes | None = None) -> bytes:
    """Return ``image`` as HEIC (via pillow-heif) with optional EXIF."""
    import pillow_heif

    image = image if image is not None else picture()
    heif = pillow_heif.from_pillow(image)
    buffer = io.BytesIO()
    params = {"exif": exif} if exif is not None else {}
    heif.save(buffer, quality=90, **params)
    return buffer.getvalue()
