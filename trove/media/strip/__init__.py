"""Allowlist metadata stripping: keep what the picture needs, drop everything else."""

from __future__ import annotations

import io
import warnings

from PIL import Image

from trove.media.errors import CorruptImage, MediaError
from trove.media.formats import detect_format
from trove.media.strip.heic import heic_to_jpeg
from trove.media.strip.jpeg import strip_jpeg
from trove.media.strip.png import strip_png
from trove.media.strip.webp import strip_webp

__all__ = ["strip_metadata"]


def strip_metadata(data: bytes) -> bytes:
    """Return ``data`` without identifying metadata; raise MediaError if it does not parse.

    JPEG, PNG and WebP are rewritten losslessly (JPEG scan data byte-identical); HEIC is
    decoded and re-encoded as a high-quality JPEG with its orientation applied.
    """
    if not data:
        raise MediaError("The file is empty.")
    kind = detect_format(data)
    if kind == "jpeg":
        clean = strip_jpeg(data)
    elif kind == "png":
        clean = strip_png(data)
    elif kind == "webp":
        clean = strip_webp(data)
    else:
        clean = strip_jpeg(heic_to_jpeg(data))
    _check_decodes(clean, "jpeg" if kind == "heic" else kind)
    return clean


def _check_decodes(clean: bytes, kind: str) -> None:
    """Decode the output (JPEG at 1/8 scale) so that a damaged input never passes."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # Pillow warns on some damaged streams
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(clean))
            if kind == "jpeg":
                image.draft("RGB", (image.width // 8 or 1, image.height // 8 or 1))
            image.load()
    except Image.DecompressionBombError:
        raise MediaError("The image has too many pixels.") from None
    except MediaError:
        raise
    except Exception as error:
        raise CorruptImage(
            f"The image is damaged and cannot be shown ({str(error)[:80]})."
        ) from None
