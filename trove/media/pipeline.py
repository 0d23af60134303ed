"""The one code path from an upload to a stored photo: the media job and benchmarks use it."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from trove.media.decode import decode, flattened
from trove.media.exif import upright
from trove.media.formats import DEFAULT_MAX_DECODED_BYTES, DEFAULT_MAX_PIXELS, probe
from trove.media.hashing import phash_image, sha256_hex
from trove.media.strip import strip_to_stored
from trove.media.thumbnails import render_thumbnails


@dataclass(frozen=True)
class ProcessedImage:
    """A stripped photo ready to store, with its thumbnails and hashes."""

    data: bytes  # the stripped file to store
    format: str  # "jpeg", "png" or "webp" (HEIC is stored as JPEG)
    width: int  # as displayed
    height: int
    sha256: str  # of ``data``
    phash: int  # 64-bit perceptual hash of the picture as displayed
    thumbnails: dict[int, bytes] = field(default_factory=dict)  # size -> JPEG
    # The upright decode, when asked for (``keep_longest``): later steps need not decode again.
    picture: Image.Image | None = field(default=None, repr=False, compare=False)


def process_image(
    data: bytes,
    *,
    thumb_sizes: tuple[int, ...] = (320, 1280),
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES,
    keep_longest: int | None = None,
) -> ProcessedImage:
    """Strip, verify, thumbnail and hash an upload; raise MediaError if it is unusable.

    Memory is bounded by ``max_decoded_bytes`` (refused before decoding) plus thumbnails:
    the decoded picture is shrunk before any full-size copy is made. With ``keep_longest``,
    the decoded picture is also returned upright as ``picture`` when its long edge is at
    least that (or it is whole), so face detection need not decode the photo again.
    """
    clean, kind, picture = strip_to_stored(
        data, max_pixels=max_pixels, max_decoded_bytes=max_decoded_bytes
    )
    orientation = 1
    # Formats decoded whole are reduced only as far as the kept copy allows; a JPEG is
    # decoded at the thumbnails' scale, and kept only when that is long enough.
    keep_at = max(*thumb_sizes, keep_longest or 0)
    if picture is None:
        # Decoding the stripped file, once and scaled, both proves it decodes (stripping
        # checked only its structure) and gives the thumbnails their pixels.
        info = probe(clean, max_pixels=max_pixels)
        decoded = decode(clean, kind, longest=max(thumb_sizes), mode="RGB", all_frames=True)
        picture = _flattened_small(decoded, keep_at)
        del decoded
        width, height, orientation = info.width, info.height, info.orientation
    else:
        width, height = picture.size  # converted HEIC: already upright
        if keep_longest:
            picture = _flattened_small(picture, keep_at)
    thumbnails, smallest = render_thumbnails(picture, thumb_sizes, orientation)
    kept = None
    if keep_longest and max(picture.size) >= min(keep_longest, max(width, height)):
        kept = upright(picture, orientation)
    return ProcessedImage(
        data=clean,
        format=kind,
        width=width,
        height=height,
        sha256=sha256_hex(clean),
        phash=phash_image(smallest),
        thumbnails=thumbnails,
        picture=kept,
    )


def _flattened_small(image: Image.Image, longest: int) -> Image.Image:
    """Return ``image`` flattened, box-reduced by the largest whole factor keeping ``longest``.

    Done in bands of rows: flattening a full-size RGBA picture at once makes three more
    full-size copies (and Pillow's ``reduce`` of RGBA a premultiplied one), so the decoded
    picture would be the smaller part of the job's memory. Band by band, it is the larger.
    """
    factor = max(image.size) // longest
    if factor < 2 or min(image.size) < factor:
        return flattened(image)
    width, height = image.size
    step = factor * max(1, 256 // factor)  # a whole number of boxes per band
    out: Image.Image | None = None
    for top in range(0, height, step):
        band = flattened(image.crop((0, top, width, min(height, top + step))))
        small = band.reduce(factor)
        if out is None:
            out = Image.new(small.mode, (-(-width // factor), -(-height // factor)))
            out.info.update(small.info)
        out.paste(small, (0, top // factor))
    assert out is not None
    return out
