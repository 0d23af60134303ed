"""HEIC/HEIF cannot be stripped losslessly: decode it and re-encode a high-quality JPEG.

The JPEG carries the picture upright (libheif applies the file's rotation and mirroring),
its cleaned colour profile and nothing else: no EXIF, XMP, depth maps, thumbnails or
auxiliary pictures. Transparency, which JPEG cannot hold, is flattened onto white.
"""

from __future__ import annotations

import io

from PIL import Image

from trove.media.decode import decode_heic, displayable

QUALITY = 95  # with 4:4:4 chroma: ≥ 42 dB PSNR against the decoded HEIC, colour edges kept


def heic_to_jpeg(data: bytes) -> tuple[bytes, Image.Image]:
    """Return (JPEG bytes, the decoded upright picture) for a HEIC file."""
    picture = displayable(decode_heic(data))
    icc = picture.info.get("icc_profile")
    buffer = io.BytesIO()
    params = {"icc_profile": icc} if icc else {}
    picture.save(buffer, "JPEG", quality=QUALITY, subsampling=0, **params)  # 4:4:4
    return buffer.getvalue(), picture
