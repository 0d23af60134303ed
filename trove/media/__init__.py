"""Pure image code (no Flask): validation, metadata stripping, thumbnails, hashes, storage."""

from trove.media.errors import (
    CorruptImage,
    FileTooLarge,
    ImageTooLarge,
    MediaError,
    StorageFull,
    UnsupportedFormat,
)
from trove.media.formats import ImageInfo, detect_format, probe
from trove.media.images import (
    NEAR_DUPLICATE_DISTANCE,
    ProcessedImage,
    hamming,
    make_thumbnails,
    perceptual_hash,
    process_image,
    sha256_hex,
)
from trove.media.strip import strip_metadata

__all__ = [
    "NEAR_DUPLICATE_DISTANCE",
    "CorruptImage",
    "FileTooLarge",
    "ImageInfo",
    "ImageTooLarge",
    "MediaError",
    "ProcessedImage",
    "StorageFull",
    "UnsupportedFormat",
    "detect_format",
    "hamming",
    "make_thumbnails",
    "perceptual_hash",
    "probe",
    "process_image",
    "sha256_hex",
    "strip_metadata",
]
