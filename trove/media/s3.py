"""S3-compatible object storage (AWS S3, MinIO, SeaweedFS, …) behind the Storage interface.

Objects keep the local layout under a key prefix of one bucket. A PUT, or a completed
multipart upload, makes an object visible whole and at once, so no reader sees half an
object; an interrupted multipart upload stays invisible until ``sweep_temp_files`` aborts
it. Large writes (dataset archives) are streamed as a multipart upload, a part at a time,
so memory stays flat whatever the archive's size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from trove.media.errors import N_, StorageFull, StorageUnavailable
from trove.media.storage import CHUNK, BaseStorage, ObjectInfo, sweep_parts

PART_SIZE = 8 * 1024 * 1024  # S3 parts are at least 5 MiB (but the last)
_PARTS_PER_STEP = 1000  # the part size doubles every 1000 parts (S3 allows 10 000)
_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
#: The codes with which S3-compatible stores say they have no room (MinIO, Ceph quotas).
_FULL = {"XMinioStorageFull", "QuotaExceeded", "XMinioAdminBucketQuotaExceeded"}


@lru_cache(maxsize=8)
def make_client(
    endpoint_url: str | None = None,
    region: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
) -> Any:
    """Return a boto3 S3 client (path-style addressing when an endpoint is given).

    One client per set of settings and process: clients are thread-safe and slow to make.
    """
    import boto3
    from botocore.config import Config

    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        retries={"max_attempts": 5, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
        # Checksums only where S3 requires them: not every S3-compatible store knows CRC32.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    session = boto3.session.Session()  # one per client: the default session is shared
    return session.client(
        "s3",
        endpoint_url=endpoint_url or None,
        region_name=region or None,
        aws_access_key_id=access_key_id or None,
        aws_secret_access_key=secret_access_key or None,
        config=config,
    )


def parse_s3_url(url: str) -> tuple[str, str]:
    """Return (bucket, prefix) of ``s3://bucket/prefix``."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"not an s3://bucket/prefix URL: {url!r}")
    return parts.netloc, parts.path.strip("/")


class S3Storage(BaseStorage):
    """Objects under one key prefix of one bucket."""

    def __init__(self, bucket: str, prefix: str = "", *, client: Any) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.url = f"s3://{bucket}/{self.prefix}".rstrip("/")
        self.client = client

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist yet."""
        with reachable():
            try:
                self.client.head_bucket(Bucket=self.bucket)
                return
            except ClientError as error:
                if _code(error) not in _MISSING:
                    raise
            region = self.client.meta.region_name
            options: dict[str, Any] = {}
            if region and region != "us-east-1":
                options["CreateBucketConfiguration"] = {"LocationConstraint": region}
            try:
                self.client.create_bucket(Bucket=self.bucket, **options)
            except ClientError as error:
                if _code(error) not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise

    def _key(self, name: str) -> str:
        return self.prefix + name

    # --- primitives -------------------------------------------------------------------------

    def _write(self, name: str, chunks: Iterable[bytes], *, sync: bool = True) -> None:
        with self.write_object(name) as out:
            for chunk in chunks:
                out.write(chunk)

    @contextmanager
    def write_object(self, name: str) -> Iterator[BinaryIO]:
        """Yield a writer for object ``name``: a multipart upload completed on success only."""
        writer = _MultipartWriter(self.client, self.bucket, self._key(name))
        try:
            yield writer  # type: ignore[misc]
            writer.complete()
        except BaseException:
            # If aborting fails too, the upload stays invisible and the sweep aborts it.
            with suppress(BotoCoreError, ClientError):
                writer.abort()
            raise

    def object_info(self, name: str) -> ObjectInfo | None:
        """Return size, modification time and etag of object ``name``, or None if absent."""
        with reachable():
            try:
                head = self.client.head_object(Bucket=self.bucket, Key=self._key(name))
            except ClientError as error:
                if _code(error) in _MISSING:
                    return None
                raise
        return ObjectInfo(
            name, int(head["ContentLength"]), _naive(head["LastModified"]), head.get("ETag")
        )

    def open_object(self, name: str, start: int = 0) -> BinaryIO:
        """Open object ``name`` (from byte ``start``) for reading; the caller closes it."""
        options = {"Range": f"bytes={start}-"} if start else {}
        with reachable():
            try:
                answer = self.client.get_object(Bucket=self.bucket, Key=self._key(name), **options)
            except ClientError as error:
                if _code(error) in _MISSING:
                    raise FileNotFoundError(name) from None
                raise
        return answer["Body"]  # type: ignore[no-any-return]

    def delete_object(self, name: str) -> None:
        """Delete object ``name`` (S3 answers the same whether or not it existed)."""
        with reachable():
            self.client.delete_object(Bucket=self.bucket, Key=self._key(name))

    def _list(self, prefix: str) -> Iterator[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        with reachable():
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
                for item in page.get("Contents", []):
                    name = item["Key"].removeprefix(self.prefix)
                    yield ObjectInfo(
                        name, int(item["Size"]), _naive(item["LastModified"]), item.get("ETag")
                    )

    def sweep_temp_files(self, older_than_seconds: float = 3600) -> int:
        """Abort unfinished multipart uploads and drop form parts a crash left; count them."""
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
        removed = sweep_parts(older_than_seconds)
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for upload in page.get("Uploads", []):
                if upload["Initiated"] <= cutoff:
                    try:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                    except ClientError as error:
                        if _code(error) != "NoSuchUpload":  # another sweeper got there first
                            raise
                        continue
                    removed += 1
        return removed

    # --- serving ------------------------------------------------------------------------------

    def body(self, name: str) -> ObjectBody:
        """Return object ``name`` as a lazy, seekable iterable of chunks (for responses)."""
        return ObjectBody(self, name)

    def presigned_url(self, name: str, *, expires: int, mimetype: str, disposition: str) -> str:
        """Return a URL that lets its holder GET object ``name`` for ``expires`` seconds."""
        params = {
            "Bucket": self.bucket,
            "Key": self._key(name),
            "ResponseContentType": mimetype,
            "ResponseCacheControl": "private, no-store",
            "ResponseContentDisposition": disposition,
        }
        return str(
            self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)
        )


class ObjectBody:
    """An object's bytes as a lazy iterable that werkzeug can seek for a Range request.

    Nothing is fetched until the first chunk is asked for (a 304 fetches nothing); a seek
    before that turns into a ranged GET from that byte.
    """

    def __init__(self, storage: S3Storage, name: str) -> None:
        self._storage = storage
        self._name = name
        self._offset = 0
        self._stream: BinaryIO | None = None

    def seekable(self) -> bool:
        """Say that this body can start at any byte."""
        return True

    def seek(self, offset: int) -> None:
        """Start at byte ``offset`` (only before the first read)."""
        self._offset = offset

    def tell(self) -> int:
        """Return the byte the next chunk starts at."""
        return self._offset

    def __iter__(self) -> ObjectBody:
        return self

    def __next__(self) -> bytes:
        if self._stream is None:
            self._stream = self._storage.open_object(self._name, start=self._offset)
        chunk = self._stream.read(CHUNK)
        if not chunk:
            self.close()
            raise StopIteration
        self._offset += len(chunk)
        return chunk

    def close(self) -> None:
        """Close the underlying HTTP stream."""
        if self._stream is not None:
            self._stream.close()


class _MultipartWriter:
    """A write-only stream into one S3 object (no tell/seek: zipfile then streams).

    Bytes are buffered up to one part; a small object is sent as a single PUT on
    ``complete``, a larger one as a multipart upload. Nothing is visible before completion.
    """

    def __init__(self, client: Any, bucket: str, key: str) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._part_size = PART_SIZE
        self.size = 0

    def write(self, data: bytes) -> int:
        """Buffer ``data``, sending a part whenever one is full."""
        self._buffer += data
        self.size += len(data)
        while len(self._buffer) >= self._part_size:
            part = bytes(self._buffer[: self._part_size])
            del self._buffer[: self._part_size]
            self._send_part(part)
        return len(data)

    def flush(self) -> None:
        """Do nothing: parts are sent when full, the rest on completion."""

    def _send_part(self, data: bytes) -> None:
        if self._upload_id is None:
            self._upload_id = self._call("create_multipart_upload")["UploadId"]
        number = len(self._parts) + 1
        answer = self._call("upload_part", UploadId=self._upload_id, PartNumber=number, Body=data)
        self._parts.append({"ETag": answer["ETag"], "PartNumber": number})
        if number % _PARTS_PER_STEP == 0:
            self._part_size *= 2

    def complete(self) -> None:
        """Make the object visible, whole."""
        if self._upload_id is None:
            self._call("put_object", Body=bytes(self._buffer))
            return
        if self._buffer:
            self._send_part(bytes(self._buffer))
            self._buffer.clear()
        self._call(
            "complete_multipart_upload",
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
        )

    def _call(self, operation: str, **params: Any) -> Any:
        """Run one S3 write call (its failures as StorageFull or StorageUnavailable)."""
        with reachable():
            return getattr(self._client, operation)(Bucket=self._bucket, Key=self._key, **params)

    def abort(self) -> None:
        """Drop what was sent; nothing becomes visible."""
        self._buffer.clear()
        if self._upload_id is not None:
            self._client.abort_multipart_upload(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id
            )


@contextmanager
def reachable() -> Iterator[None]:
    """Raise the store's failures as ours: out of room is StorageFull; down, unreachable or
    refusing our credentials is StorageUnavailable (try again later)."""
    try:
        yield
    except ClientError as error:
        if _code(error) in _FULL:
            raise StorageFull(N_("The file store has no room for this file right now.")) from error
        raise StorageUnavailable() from error
    except BotoCoreError as error:
        raise StorageUnavailable() from error


def _code(error: ClientError) -> str:
    """Return the S3 error code of a botocore ClientError."""
    return str(error.response.get("Error", {}).get("Code", ""))


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)
