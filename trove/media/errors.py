"""What can go wrong with an image, in words a contributor understands."""

from __future__ import annotations


class MediaError(ValueError):
    """An image that cannot be accepted; ``str(error)`` is a one-line reason."""


class UnsupportedFormat(MediaError):
    """Not a JPEG, PNG, WebP or HEIC image."""


class CorruptImage(MediaError):
    """The file claims to be an image but does not parse completely."""


class ImageTooLarge(MediaError):
    """Too many pixels (a decompression bomb or simply too big)."""


class FileTooLarge(MediaError):
    """More bytes than the upload limit."""


class StorageFull(MediaError):
    """The disk has no room for the file."""
