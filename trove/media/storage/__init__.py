"""File storage: a quarantine for raw uploads, content-addressed originals, thumbnails.

One interface (:class:`Storage`), two backends: :class:`LocalStorage` (a directory, the
default) and :class:`trove.media.s3.S3Storage` (an S3-compatible bucket). Both lay objects
out the same way, relative to their root (directory, or bucket prefix)::

    quarantine/<random name>                      raw uploads, never served
    uploads/<token>.<offset>-<random>             pieces of a resumable (tus) upload still
                                                  arriving; never served, not quarantined
    originals/ab/cd/<sha256>.<jpeg|png|webp>      stripped photos, named by their content
    derived/ab/cd/<sha256>-<size>.jpeg            thumbnails of an original
    exports/<name>.zip                            dataset archives

An object appears whole or not at all. Locally every write goes to a temporary name in the
target directory, is fsynced, renamed into place with ``os.replace`` and the directory
fsynced; on S3 a PUT or a completed multipart upload is atomic. ``sweep_temp_files``
removes what a crash left (temporary files, unfinished multipart uploads). Names and keys
are checked against their exact shape before any object name is built, so no input can
reach outside the root, and the quarantine has no name a view could ask for.
"""

from __future__ import annotations

from trove.media.storage.base import (
    AREAS,
    EXTENSIONS,
    OBJECT_NAME,
    BaseStorage,
    ObjectInfo,
    Storage,
)
from trove.media.storage.files import (
    CHUNK,
    TMP_SUFFIX,
    Hasher,
    QuarantinePart,
    parts_folder,
    sweep_parts,
)
from trove.media.storage.local import LocalStorage

__all__ = [
    "AREAS",
    "CHUNK",
    "EXTENSIONS",
    "OBJECT_NAME",
    "TMP_SUFFIX",
    "BaseStorage",
    "Hasher",
    "LocalStorage",
    "ObjectInfo",
    "QuarantinePart",
    "Storage",
    "parts_folder",
    "sweep_parts",
]
