"""What can go wrong with an image, in words a contributor understands.

Every error is a ``MediaError`` (a ``ValueError``) whose ``str()`` is one readable line, so
callers can show it as is: the upload form, the media job's rejection note, the CLI.
"""

from __future__ import annotations


class MediaError(ValueError):
    """An image or file that cannot be accepted; ``str(error)`` is a one-line reason."""


class UnsupportedFormat(MediaError):
    """Not a JPEG, PNG, WebP or HEIC image (or a variant of one this site cannot show)."""


class CorruptImage(MediaError):
    """The file claims to be an image but does not parse or decode completely."""


class ImageTooLarge(MediaError):
    """Too many pixels: a decompression bomb, or simply bigger than allowed."""


class FileTooLarge(MediaError):
    """More bytes than the upload limit."""


class TruncatedUpload(MediaError):
    """The upload ended before all its bytes arrived (cancelled, cut off, or malformed)."""


class StorageFull(MediaError):
    """The disk (or quota) has no room for the file."""


class StorageUnavailable(Exception):
    """The file store cannot be reached or refuses our credentials: nothing is wrong with
    the file, and the same request may work in a while (an HTTP 503, a job retried)."""

    def __init__(self, message: str = "The file store cannot be reached right now.") -> None:
        super().__init__(message)


UNSUPPORTED = "This file is not a JPEG, PNG, WebP or HEIC image."
TRUNCATED = "The image is truncated."
CUT_OFF = (
    "The upload was cut off before all of the photo arrived; nothing was kept. "
    "Please send it again."
)


def too_many_pixels(width: int, height: int, max_pixels: int, frames: int = 1) -> ImageTooLarge:
    """Return the error for a picture over the pixel limit."""
    limit = f"{max_pixels / 1_000_000:g} megapixels"
    if frames > 1:
        return ImageTooLarge(
            f"Image is an animation of {frames} frames of {width}×{height} pixels; "
            f"the maximum is {limit} in all."
        )
    return ImageTooLarge(f"Image is {width}×{height} pixels; the maximum is {limit}.")


def too_much_memory(width: int, height: int, needed: int, budget: int) -> ImageTooLarge:
    """Return the error for a picture whose decoded size is over the memory budget."""
    mb = 1024 * 1024
    return ImageTooLarge(
        f"Image is {width}×{height} pixels and would take {needed / mb:.0f} MB to open; "
        f"the maximum is {budget / mb:g} MB. Save it at a smaller size or as a JPEG."
    )


def describe(error: BaseException) -> str:
    """Return a library error as a short single line, for the end of a reason."""
    text = " ".join(str(error).split()).rstrip(".") or type(error).__name__
    return text[:100]
