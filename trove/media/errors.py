"""What can go wrong with an image, in words a contributor understands.

Every error is a ``MediaError`` (a ``ValueError``) whose ``str()`` is one readable line, so
callers can show it as is: the media job's rejection note, the CLI. Its English text is
marked with :func:`N_` (this package stays free of Flask); a page translates it with
``gettext(error.message, **error.values)`` (``trove.submissions.service.media_message``).
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark, translate later"
    """Mark ``message`` for the catalogue without translating it here."""
    return message


class MediaError(ValueError):
    """An image or file that cannot be accepted; ``str(error)`` is a one-line reason."""

    def __init__(self, message: str = "", **values: object) -> None:
        super().__init__(message % values if values else message)
        self.message = message  # the English text with ``%(name)s`` placeholders
        self.values = values


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

    def __init__(self, message: str = N_("The file store cannot be reached right now.")) -> None:
        super().__init__(message)


UNSUPPORTED = N_("This file is not a JPEG, PNG, WebP or HEIC image.")
TRUNCATED = N_("The image is truncated.")
CUT_OFF = N_(
    "The upload was cut off before all of the photo arrived; nothing was kept. "
    "Please send it again."
)


def too_many_pixels(width: int, height: int, max_pixels: int, frames: int = 1) -> ImageTooLarge:
    """Return the error for a picture over the pixel limit."""
    limit = f"{max_pixels / 1_000_000:g}"
    if frames > 1:
        return ImageTooLarge(
            N_(
                "Image is an animation of %(frames)s frames of %(width)s×%(height)s pixels; "
                "the maximum is %(limit)s megapixels in all."
            ),
            frames=frames,
            width=width,
            height=height,
            limit=limit,
        )
    return ImageTooLarge(
        N_("Image is %(width)s×%(height)s pixels; the maximum is %(limit)s megapixels."),
        width=width,
        height=height,
        limit=limit,
    )


def too_much_memory(width: int, height: int, needed: int, budget: int) -> ImageTooLarge:
    """Return the error for a picture whose decoded size is over the memory budget."""
    mb = 1024 * 1024
    return ImageTooLarge(
        N_(
            "Image is %(width)s×%(height)s pixels and would take %(needed)s MB to open; "
            "the maximum is %(budget)s MB. Save it at a smaller size or as a JPEG."
        ),
        width=width,
        height=height,
        needed=f"{needed / mb:.0f}",
        budget=f"{budget / mb:g}",
    )


def describe(error: BaseException) -> str:
    """Return a library error as a short single line, for the end of a reason."""
    text = " ".join(str(error).split()).rstrip(".") or type(error).__name__
    return text[:100]
