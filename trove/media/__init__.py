"""Pure image code (no Flask): validation, metadata stripping, thumbnails, hashes, storage."""

from trove.media.errors import (
    CorruptImage,
    FileTooLarge,
    ImageTooLarge,
    MediaError,
    StorageFull,
    StorageUnavailable,
    TruncatedUpload,
    UnsupportedFormat,
)
from trove.media.formats import (
    DEFAULT_MAX_DECODED_BYTES,
    DEFAULT_MAX_PIXELS,
    ImageInfo,
    detect_format,
    probe,
)
from trove.media.hashing import NEAR_DUPLICATE_DISTANCE, hamming, perceptual_hash, sha256_hex
from trove.media.pipeline import ProcessedImage, process_image
from trove.media.storage import LocalStorage, ObjectInfo, Storage
from trove.media.strip import check_upload, strip_metadata
from trove.media.thumbnails import make_thumbnails

__all__ = [
    "DEFAULT_MAX_DECODED_BYTES",
    "DEFAULT_MAX_PIXELS",
    "NEAR_DUPLICATE_DISTANCE",
    "CorruptImage",
    "FileTooLarge",
    "ImageInfo",
    "ImageTooLarge",
    "LocalStorage",
    "MediaError",
    "ObjectInfo",
    "ProcessedImage",
    "Storage",
    "StorageFull",
    "StorageUnavailable",
    "TruncatedUpload",
    "UnsupportedFormat",
    "check_upload",
    "detect_format",
    "hamming",
    "make_thumbnails",
    "perceptual_hash",
    "probe",
    "process_image",
    "sha256_hex",
    "strip_metadata",
]
