"""Local storage: atomic writes, exact names, limits, idempotence, a full disk."""

from __future__ import annotations

import errno
import io
import os
import time
from pathlib import Path

import pytest

from trove.media import FileTooLarge, LocalStorage, MediaError, StorageFull


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "store")


def every_file(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_quarantine_round_trip(storage: LocalStorage) -> None:
    name = storage.save_quarantine(io.BytesIO(b"raw upload" * 1000), max_bytes=1_000_000)
    assert len(name) == 43
    assert storage.read_quarantine(name) == b"raw upload" * 1000
    assert storage.quarantine_path(name).parent == storage.root / "quarantine"
    assert [entry for entry, _when in storage.list_quarantine()] == [name]
    storage.delete_quarantine(name)
    storage.delete_quarantine(name)  # idempotent
    assert list(storage.list_quarantine()) == []


def test_quarantine_names_are_unguessable(storage: LocalStorage) -> None:
    names = {storage.save_quarantine(io.BytesIO(b"x"), max_bytes=10) for _ in range(20)}
    assert len(names) == 20


def test_too_large_upload_leaves_nothing(storage: LocalStorage) -> None:
    with pytest.raises(FileTooLarge, match="larger than the 1 MB limit"):
        storage.save_quarantine(io.BytesIO(b"x" * (1024 * 1024 + 1)), max_bytes=1024 * 1024)
    assert every_file(storage.root) == []


def test_exactly_the_limit_is_accepted(storage: LocalStorage) -> None:
    name = storage.save_quarantine(io.BytesIO(b"x" * 4096), max_bytes=4096)
    assert storage.quarantine_path(name).stat().st_size == 4096


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
def test_quarantine_traversal_is_impossible(storage: LocalStorage, name: str) -> None:
    with pytest.raises(MediaError):
        storage.quarantine_path(name)
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
def test_original_keys_must_have_the_exact_shape(storage: LocalStorage, key: str) -> None:
    with pytest.raises(MediaError):
        storage.original_path(key)
    with pytest.raises(MediaError):
        storage.derived_path(key, 320)
    with pytest.raises(MediaError):
        storage.delete_original(key)


def test_originals_are_content_addressed_and_fanned_out(storage: LocalStorage) -> None:
    key = storage.put_original(b"stripped photo", "jpeg")
    digest = key.split(".")[0]
    path = storage.original_path(key)
    assert path == storage.root / "originals" / digest[:2] / digest[2:4] / key
    assert path.read_bytes() == b"stripped photo"
    assert storage.exists(key)
    with storage.open_original(key) as handle:
        assert handle.read() == b"stripped photo"
    mtime = path.stat().st_mtime_ns
    assert storage.put_original(b"stripped photo", "jpeg") == key  # idempotent
    assert path.stat().st_mtime_ns == mtime


def test_unknown_extension_is_refused(storage: LocalStorage) -> None:
    with pytest.raises(ValueError, match="extension"):
        storage.put_original(b"x", "exe")


def test_delete_original_removes_thumbnails_too(storage: LocalStorage) -> None:
    key = storage.put_original(b"photo", "png")
    other = storage.put_original(b"another", "png")
    for size in (320, 1280):
        storage.put_derived(key, size, b"thumb")
        storage.put_derived(other, size, b"thumb")
    storage.delete_original(key)
    storage.delete_original(key)  # idempotent
    assert not storage.exists(key)
    assert not storage.derived_path(key, 320).exists()
    assert storage.derived_path(other, 320).exists() and storage.exists(other)


def test_derived_path_rejects_odd_sizes(storage: LocalStorage) -> None:
    key = storage.put_original(b"photo", "jpeg")
    for size in (0, -1, True, "320"):
        with pytest.raises(MediaError):
            storage.derived_path(key, size)  # type: ignore[arg-type]


def test_writes_are_atomic_renames(storage: LocalStorage, monkeypatch: pytest.MonkeyPatch) -> None:
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


def test_disk_full_leaves_nothing_and_says_so(storage: LocalStorage) -> None:
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
    storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "write", full)
        with pytest.raises(StorageFull):
            storage.put_original(b"photo" * 1000, "jpeg")
    assert every_file(storage.root) == []


def test_other_os_errors_propagate_and_clean_up(
    storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(fd: int) -> None:
        raise OSError(errno.EIO, "I/O error")

    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", broken)
        with pytest.raises(OSError, match="I/O error"):
            storage.put_original(b"photo", "jpeg")
    assert every_file(storage.root) == []


def test_sweep_removes_only_old_temp_files(storage: LocalStorage) -> None:
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


def test_list_quarantine_ignores_temp_and_foreign_files(storage: LocalStorage) -> None:
    name = storage.save_quarantine(io.BytesIO(b"x"), max_bytes=10)
    (storage.root / "quarantine" / ".something.tmp").write_bytes(b"")
    (storage.root / "quarantine" / "README").write_bytes(b"")
    assert [entry for entry, _when in storage.list_quarantine()] == [name]
