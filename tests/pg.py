"""A throw-away PostgreSQL cluster for the test suite and the benchmarks.

Started from the Debian server binaries (``initdb`` on PATH or under
/usr/lib/postgresql/*/bin), listening on a free loopback port with trust auth and
``fsync=off``; removed with its directory when done.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

USER = "trove"


def server_bindir() -> Path | None:
    """Return the directory of the PostgreSQL server binaries, if installed."""
    initdb = shutil.which("initdb") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))), None
    )
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def cluster(workdir: Path) -> Iterator[str]:
    """Start a cluster under ``workdir`` and yield its base URL (add ``/<database>``)."""
    bindir = server_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries are not installed (apt install postgresql)")
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / "pg"
    # initdb refuses to run as root: run the server as the postgres system user.
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if run_as:
        # The server runs as the postgres user: it must reach and own its folder. Keep the
        # folder out of directories other tools may lock down (e.g. pytest's temp root).
        for parent in workdir.parents:
            if parent == Path("/"):
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o001)
        shutil.chown(workdir, "postgres")
    subprocess.run(  # noqa: S603
        [*run_as, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", USER],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    subprocess.run(  # noqa: S603
        [
            *run_as,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(workdir / "pg.log"),
            "-w",
            "-o",
            f"-p {port} -k {workdir} -h 127.0.0.1 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://{USER}@127.0.0.1:{port}"
    finally:
        subprocess.run(  # noqa: S603
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )


def restart(workdir: Path) -> None:
    """Restart the cluster started under ``workdir`` (fast: open connections are cut)."""
    bindir = server_bindir()
    assert bindir is not None
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(  # noqa: S603
        [
            *run_as,
            str(bindir / "pg_ctl"),
            "-D",
            str(workdir / "pg"),
            "-l",
            str(workdir / "pg.log"),  # a log file, so the server does not hold our pipes
            "-m",
            "fast",
            "-w",
            "restart",
        ],
        check=True,
        capture_output=True,
    )


def create_database(base: str, name: str, template: str | None = None) -> None:
    """Create database ``name`` in the cluster at ``base`` (a copy of ``template``)."""
    from sqlalchemy import create_engine, text

    admin = create_engine(
        f"{base.replace('postgresql://', 'postgresql+psycopg://')}/postgres",
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(
            text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        )
    admin.dispose()
