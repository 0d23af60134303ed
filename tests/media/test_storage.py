"""Storage over both backends (a local directory, SeaweedFS's S3): atomic writes, exact
names, limits, idempotence; and the local directory's renames and a full disk."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import socket
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from trove.files import copy_storage, storage_from_url
from trove.media import (
    FileTooLarge,
    LocalStorage,
    MediaError,
    Storage,
    StorageFull,
    StorageUnavailable,
)
from trove.media.s3 import S3Storage


@pytest.fixture
def local(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "store")


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """Each backend in turn: a local directory, then a fresh prefix of a SeaweedFS bucket."""
    if request.param == "local":
        return LocalStorage(tmp_path / "store")
    settings = request.getfixturevalue("s3_server").settings()
    return storage_from_url(settings["STORAGE_URL"], settings)


def every_file(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def leftovers(storage: Storage) -> list[str]:
    """Everything the storage holds: files (temporary ones too), objects, unfinished uploads."""
    if isinstance(storage, LocalStorage):
        return [str(path) for path in every_file(storage.root)]
    assert isinstance(storage, S3Storage)
    client = storage.client
    found = client.list_objects_v2(Bucket=storage.bucket, Prefix=storage.prefix)
    uploads = client.list_multipart_uploads(Bucket=storage.bucket, Prefix=storage.prefix)
    return [o["Key"] for o in found.get("Contents", [])] + [
        u["Key"] for u in uploads.get("Uploads", [])
    ]


def test_quarantine_round_trip(storage: Storage) -> None:
    digest = hashlib.sha256()
    name = storage.save_quarantine(
        io.BytesIO(b"raw upload" * 1000), max_bytes=1_000_000, digest=digest
    )
    assert len(name) == 43
    assert digest.hexdigest() == hashlib.sha256(b"raw upload" * 1000).hexdigest()
    assert storage.read_quarantine(name) == b"raw upload" * 1000
    assert storage.quarantine_exists(name)
    assert storage.quarantine_object(name) == f"quarantine/{name}"
    assert [entry for entry, _when in storage.list_quarantine()] == [name]
    storage.delete_quarantine(name)
    storage.delete_quarantine(name)  # idempotent
    assert list(storage.list_quarantine()) == []
    assert not storage.quarantine_exists(name)


def test_local_quarantine_is_a_directory_of_its_own(local: LocalStorage) -> None:
    name = local.save_quarantine(io.BytesIO(b"raw"), max_bytes=10)
    assert local.quarantine_path(name).parent == local.root / "quarantine"


def test_quarantine_names_are_unguessable(storage: Storage) -> None:
    names = {storage.save_quarantine(io.BytesIO(b"x"), max_bytes=10) for _ in range(20)}
    assert len(names) == 20


def test_too_large_upload_leaves_nothing(storage: Storage) -> None:
    with pytest.raises(FileTooLarge, match="larger than the 1 MB limit"):
        storage.save_quarantine(io.BytesIO(b"x" * (1024 * 1024 + 1)), max_bytes=1024 * 1024)
    assert leftovers(storage) == []


def test_exactly_the_limit_is_accepted(storage: Storage) -> None:
    name = storage.save_quarantine(io.BytesIO(b"x" * 4096), max_bytes=4096)
    info = storage.object_info(storage.quarantine_object(name))
    assert info is not None and info.size == 4096


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..",
        "",
        "a" * 42,
        "a" * 44,
        "a/" + "b" * 41,
        "\x00" * 43,
        "a" * 42 + "\n",
    ],
)
def test_quarantine_traversal_is_impossible(local: LocalStorage, name: str) -> None:
    storage = local
    with pytest.raises(MediaError):
        storage.quarantine_path(name)
    with pytest.raises(MediaError):
        storage.quarantine_object(name)
    with pytest.raises(MediaError):
        storage.delete_quarantine(name)


@pytest.mark.parametrize(
    "key",
    [
        "../" + "a" * 61 + ".jpeg",
        "A" * 64 + ".jpeg",
        "a" * 64 + ".gif",
        "a" * 64,
        "a" * 64 + ".jpeg/../../x",
        "a" * 63 + ".jpeg",
        "a" * 64 + ".jpeg\n",
    ],
)
def test_original_keys_must_have_the_exact_shape(local: LocalStorage, key: str) -> None:
    storage = local
    with pytest.raises(MediaError):
        storage.original_path(key)
    with pytest.raises(MediaError):
        storage.original_object(key)
    with pytest.raises(MediaError):
        storage.derived_path(key, 320)
    with pytest.raises(MediaError):
        storage.delete_original(key)


def test_originals_are_content_addressed_and_fanned_out(storage: Storage) -> None:
    key = storage.put_original(b"stripped photo", "jpeg")
    digest = key.split(".")[0]
    assert digest == hashlib.sha256(b"stripped photo").hexdigest()
    name = storage.original_object(key)
    assert name == f"originals/{digest[:2]}/{digest[2:4]}/{key}"
    assert storage.exists(key)
    with storage.open_original(key) as handle:
        assert handle.read() == b"stripped photo"
    before = storage.object_info(name)
    assert storage.put_original(b"stripped photo", "jpeg") == key  # idempotent: not rewritten
    assert storage.object_info(name) == before
    assert [info.name for info in storage.iter_objects()] == [name]


def test_a_hash_the_caller_has_names_the_original(storage: Storage) -> None:
    digest = hashlib.sha256(b"stripped photo").hexdigest()
    assert storage.put_original(b"stripped photo", "jpeg", sha256=digest) == f"{digest}.jpeg"
    with pytest.raises(ValueError, match="SHA-256"):
        storage.put_original(b"stripped photo", "jpeg", sha256="../../etc")


def test_local_originals_live_under_the_root(local: LocalStorage) -> None:
    key = local.put_original(b"stripped photo", "jpeg")
    digest = key.split(".")[0]
    path = local.original_path(key)
    assert path == local.root / "originals" / digest[:2] / digest[2:4] / key
    assert path.read_bytes() == b"stripped photo"


def test_unknown_extension_is_refused(storage: Storage) -> None:
    with pytest.raises(ValueError, match="extension"):
        storage.put_original(b"x", "exe")


def test_delete_original_removes_thumbnails_too(storage: Storage) -> None:
    key = storage.put_original(b"photo", "png")
    other = storage.put_original(b"another", "png")
    for size in (320, 1280):
        storage.put_derived(key, size, b"thumb")
        storage.put_derived(other, size, b"thumb")
    storage.delete_original(key)
    storage.delete_original(key)  # idempotent
    assert not storage.exists(key)
    assert storage.object_info(storage.derived_object(key, 320)) is None
    assert storage.object_info(storage.derived_object(other, 320)) is not None
    assert storage.exists(other)


def test_derived_path_rejects_odd_sizes(local: LocalStorage) -> None:
    key = local.put_original(b"photo", "jpeg")
    for size in (0, -1, True, "320"):
        with pytest.raises(MediaError):
            local.derived_path(key, size)  # type: ignore[arg-type]
        with pytest.raises(MediaError):
            local.derived_object(key, size)  # type: ignore[arg-type]


def test_writes_are_atomic_renames(local: LocalStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = local
    seen: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        # At the moment of the rename the target does not exist yet, the temp file is whole.
        assert not Path(dst).exists()
        assert Path(src).read_bytes() == b"whole file"
        seen.append((Path(src).name, Path(dst).name))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    key = storage.put_original(b"whole file", "webp")
    ((src, dst),) = seen
    assert dst == key and src.startswith(f".{key}.") and src.endswith(".tmp")
    assert [path.name for path in every_file(storage.root)] == [key]


def test_disk_full_leaves_nothing_and_says_so(local: LocalStorage) -> None:
    storage = local

    class FullDisk(io.RawIOBase):
        calls = 0

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            self.calls += 1
            if self.calls > 2:
                raise OSError(errno.ENOSPC, "No space left on device")
            return b"x" * 1000

    with pytest.raises(StorageFull, match="no room"):
        storage.save_quarantine(FullDisk(), max_bytes=10**6)  # type: ignore[arg-type]
    assert every_file(storage.root) == []


def test_disk_full_during_write_leaves_nothing(
    local: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = local

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "write", full)
        with pytest.raises(StorageFull):
            storage.put_original(b"photo" * 1000, "jpeg")
    assert every_file(storage.root) == []


def test_other_os_errors_propagate_and_clean_up(
    local: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = local

    def broken(fd: int) -> None:
        raise OSError(errno.EIO, "I/O error")

    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", broken)
        with pytest.raises(OSError, match="I/O error"):
            storage.put_original(b"photo", "jpeg")
    assert every_file(storage.root) == []


def test_sweep_removes_only_old_temp_files(local: LocalStorage) -> None:
    storage = local
    key = storage.put_original(b"photo", "jpeg")
    folder = storage.original_path(key).parent
    old = folder / f".{key}.deadbeef.tmp"
    fresh = folder / f".{key}.cafef00d.tmp"
    old.write_bytes(b"half")
    fresh.write_bytes(b"half")
    an_hour_ago = time.time() - 3700
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert storage.sweep_temp_files(older_than_seconds=3600) == 1
    assert not old.exists() and fresh.exists() and storage.exists(key)


def test_list_quarantine_ignores_temp_and_foreign_files(local: LocalStorage) -> None:
    storage = local
    name = storage.save_quarantine(io.BytesIO(b"x"), max_bytes=10)
    (storage.root / "quarantine" / ".something.tmp").write_bytes(b"")
    (storage.root / "quarantine" / "README").write_bytes(b"")
    assert [entry for entry, _when in storage.list_quarantine()] == [name]


# --- both backends: archives, listing, sweeping, copying --------------------------------------


def test_an_archive_is_visible_only_once_whole(storage: Storage) -> None:
    name = storage.export_object("project-1-v1-1.zip")
    big = os.urandom(1024) * (9 * 1024 + 1)  # past one S3 part: a multipart upload
    with storage.write_export("project-1-v1-1.zip") as out:
        out.write(big)
        assert storage.object_info(name) is None  # nothing visible while writing
    info = storage.object_info(name)
    assert info is not None and info.size == len(big)
    with storage.open_object(name) as handle:
        assert handle.read() == big
    storage.delete_export("project-1-v1-1.zip")
    assert leftovers(storage) == []


def test_a_failed_archive_leaves_nothing(storage: Storage) -> None:
    with pytest.raises(RuntimeError), storage.write_export("project-1-v2-2.zip") as out:
        out.write(os.urandom(9 * 1024 * 1024))
        raise RuntimeError("the build failed")
    assert leftovers(storage) == []


def test_a_zip_streams_into_the_storage(storage: Storage) -> None:
    with storage.write_export("project-1-v3-3.zip") as out, zipfile.ZipFile(out, "w") as zf:
        with zf.open("a.bin", "w", force_zip64=True) as member:
            member.write(b"a" * 100_000)
        zf.writestr("b.txt", "b")
    with storage.open_object(storage.export_object("project-1-v3-3.zip")) as handle:
        zf = zipfile.ZipFile(io.BytesIO(handle.read()))
    assert zf.read("a.bin") == b"a" * 100_000 and zf.read("b.txt") == b"b"


def test_listing_skips_objects_of_no_known_shape(storage: Storage) -> None:
    name = storage.save_quarantine(io.BytesIO(b"x"), max_bytes=10)
    if isinstance(storage, LocalStorage):
        (storage.root / "quarantine" / "README").write_bytes(b"")
    else:
        assert isinstance(storage, S3Storage)
        storage.client.put_object(
            Bucket=storage.bucket, Key=f"{storage.prefix}quarantine/README", Body=b""
        )
    assert [entry for entry, _when in storage.list_quarantine()] == [name]
    assert [info.name for info in storage.iter_objects()] == [f"quarantine/{name}"]
    with pytest.raises(MediaError):
        storage.put_object("quarantine/README", [b""])


def test_s3_sweep_aborts_unfinished_uploads(
    s3_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Form parts wait in the system's temporary folder, shared with every other process.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    settings = s3_server.settings()
    storage = storage_from_url(settings["STORAGE_URL"], settings)
    assert isinstance(storage, S3Storage)
    key = f"{storage.prefix}exports/project-1-v4-4.zip"
    storage.client.create_multipart_upload(Bucket=storage.bucket, Key=key)  # a crash's leftover
    assert storage.sweep_temp_files(older_than_seconds=3600) == 0  # too fresh
    part = storage.open_part(max_bytes=10)  # a crash: never saved nor closed
    part.write(b"half")
    assert storage.sweep_temp_files(older_than_seconds=-60) == 2
    assert not part.path.exists()
    assert leftovers(storage) == []


def test_copy_verifies_and_resumes(storage: Storage, tmp_path: Path) -> None:
    key = storage.put_original(b"photo", "jpeg")
    storage.put_derived(key, 320, b"thumb")
    name = storage.save_quarantine(io.BytesIO(b"raw"), max_bytes=10)
    with storage.write_export("project-1-v1-1.zip") as out:
        out.write(b"zip")
    target = LocalStorage(tmp_path / "target")
    first = copy_storage(storage, target)
    assert len(first.copied) == 4 and first.already == []
    assert target.read_quarantine(name) == b"raw"
    target.original_path(key).write_bytes(b"rotten")  # a damaged copy is found and redone
    second = copy_storage(storage, target)
    assert second.copied == [storage.original_object(key)] and len(second.already) == 3
    assert target.original_path(key).read_bytes() == b"photo"
    assert copy_storage(storage, target).copied == []  # idempotent


def test_an_unreachable_s3_store_is_unavailable_not_full(tmp_path: Path) -> None:
    import boto3
    from botocore.config import Config

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    storage = S3Storage("trove", client=client)
    with pytest.raises(StorageUnavailable, match="cannot be reached"):
        storage.save_quarantine(io.BytesIO(b"photo"), max_bytes=10)
    with pytest.raises(StorageUnavailable):
        storage.object_info("quarantine/" + "a" * 43)


@pytest.mark.parametrize(
    ("code", "raised"),
    [("XMinioStorageFull", StorageFull), ("QuotaExceeded", StorageFull),
     ("AccessDenied", StorageUnavailable), ("InvalidAccessKeyId", StorageUnavailable),
     ("SignatureDoesNotMatch", StorageUnavailable), ("ServiceUnavailable", StorageUnavailable)],
)  # fmt: skip
def test_a_store_out_of_room_is_full_and_any_other_refusal_unavailable(
    code: str, raised: type[Exception]
) -> None:
    from botocore.exceptions import ClientError

    from trove.media.s3 import reachable

    with pytest.raises(raised), reachable():
        raise ClientError({"Error": {"Code": code, "Message": "no"}}, "PutObject")


def test_s3_archives_stream_in_parts_with_flat_memory(s3_server: Any) -> None:
    import tracemalloc

    settings = s3_server.settings()
    storage = storage_from_url(settings["STORAGE_URL"], settings)
    chunk = os.urandom(1024 * 1024)
    tracemalloc.start()
    try:
        with storage.write_export("project-1-v5-5.zip") as out:
            for _ in range(40):
                out.write(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024  # a part or two in memory, never the 40 MB archive
    info = storage.object_info(storage.export_object("project-1-v5-5.zip"))
    assert info is not None and info.size == 40 * 1024 * 1024


def test_a_form_part_becomes_a_quarantined_upload_or_nothing(storage: Storage) -> None:
    with storage.open_part(max_bytes=10) as part:
        part.write(b"0123456789")
        part.seek(0)
        digest = hashlib.sha256()
        name = storage.save_quarantine(part, max_bytes=10, digest=digest)  # type: ignore[arg-type]
    assert storage.read_quarantine(name) == b"0123456789"
    assert digest.hexdigest() == hashlib.sha256(b"0123456789").hexdigest()
    storage.delete_quarantine(name)
    with storage.open_part(max_bytes=10) as part:
        part.write(b"01234567890")
        part.seek(0)
        with pytest.raises(FileTooLarge):
            storage.save_quarantine(part, max_bytes=10)  # type: ignore[arg-type]
    assert leftovers(storage) == []
