"""Back up and restore an instance: the database, the storage directory, the secret key.

A backup is a folder: ``manifest.json``, ``database.sqlite3`` (SQLite's online backup API)
or ``database.dump`` (``pg_dump --format=custom``), ``storage/`` (a copy of STORAGE_DIR, or
of every object of an S3 storage) and ``instance/`` (``secret_key``, and ``config.py`` when
there is one). The database is dumped before the files are copied: every row points only at
files that already exist, so an older dump with a newer file copy is consistent.

Restoring empties the database (every table, sequence and enum type of the schema; no
superuser needed) and loads the dump, replaces the storage directory's contents, puts the
secret key back, then runs the migrations, so a backup of an older version comes up to date.
Stop the web processes and the workers first.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.engine import make_url

from trove.extensions import db
from trove.files import copy_storage, get_storage
from trove.media.storage import TMP_SUFFIX, LocalStorage
from trove.timeutil import utcnow

FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot go ahead, with a message for the operator."""


# --- database ------------------------------------------------------------------------------


def _is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def _sqlite_path() -> str:
    path = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database
    if not path or path == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return path


def _pg_command(tool: str, *args: str) -> tuple[list[str], dict[str, str]]:
    """Return a PostgreSQL client command for the app's database, and its environment.

    The database and role come from DATABASE_URL, never from who runs the command; the
    password goes in PGPASSWORD, not on the command line. Run as root against a local
    socket (peer authentication), the tool runs as the URL's user, as the app would.
    """
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    binary = shutil.which(tool) or _debian_binary(tool)
    if binary is None:
        raise BackupError(f"{tool} is not installed (apt install postgresql-client).")
    command = [binary, *args, f"--dbname={conninfo}"]
    if os.geteuid() == 0 and not url.host and url.username and url.username != "root":
        command = ["runuser", "-u", url.username, "--", *command]
    return command, env


def _debian_binary(tool: str) -> str | None:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"))
    return str(found[-1]) if found else None


def _run(tool: str, command: list[str], env: dict[str, str], **kwargs: Any) -> None:
    result = subprocess.run(command, env=env, stderr=subprocess.PIPE, check=False, **kwargs)  # noqa: S603
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip()[-2000:]
        raise BackupError(f"{tool} failed: {message}")


def _dump_database(target: Path) -> str:
    db.session.remove()
    if _is_sqlite():
        name = "database.sqlite3"
        source = sqlite3.connect(_sqlite_path())
        dest = sqlite3.connect(target / name)
        try:
            with dest:
                source.backup(dest)
        finally:
            source.close()
            dest.close()
        return name
    name = "database.dump"
    command, env = _pg_command("pg_dump", "--format=custom", "--no-owner", "--no-privileges")
    # Written by this process (the tool may run as another user) through stdout.
    with (target / name).open("wb") as out:
        _run("pg_dump", command, env, stdout=out)
    return name


def _empty_postgresql() -> None:
    """Drop every table, sequence and enum type in the app's schema (the owner may)."""
    with db.engine.begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '30s'"))
        schema = conn.scalar(text("SELECT current_schema()"))
        for kind, query in (
            ("TABLE", "SELECT tablename FROM pg_tables WHERE schemaname = :s"),
            (
                "SEQUENCE",
                "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = :s",
            ),
            (
                "TYPE",
                "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                "WHERE n.nspname = :s AND t.typtype = 'e'",
            ),
        ):
            for name in conn.scalars(text(query), {"s": schema}).all():
                ident = conn.scalar(
                    text("SELECT quote_ident(:a) || '.' || quote_ident(:b)"),
                    {
                        "a": schema,
                        "b": name,
                    },
                )
                conn.execute(text(f"DROP {kind} IF EXISTS {ident} CASCADE"))


def _load_database(source: Path, name: str) -> None:
    db.session.remove()
    db.engine.dispose()
    if name == "database.sqlite3":
        if not _is_sqlite():
            raise BackupError("This backup holds a SQLite database; the app uses PostgreSQL.")
        src = sqlite3.connect(source / name)
        dest = sqlite3.connect(_sqlite_path())
        try:
            with dest:
                src.backup(dest)  # replaces every page of the target database
        finally:
            src.close()
            dest.close()
        return
    if _is_sqlite():
        raise BackupError("This backup holds a PostgreSQL dump; the app uses SQLite.")
    _empty_postgresql()
    db.engine.dispose()
    command, env = _pg_command(
        "pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"
    )
    with (source / name).open("rb") as dump:
        _run("pg_restore", command, env, stdin=dump)


# --- files ---------------------------------------------------------------------------------


def _ignore_temp(_folder: str, names: list[str]) -> set[str]:
    # Half-written files a crash left (dot names ending in the storage's temp suffix).
    return {n for n in names if n.startswith(".") and n.endswith(TMP_SUFFIX)}


def _count_files(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.is_dir() else 0


def _replace_tree(source: Path, target: Path) -> None:
    """Make ``target``'s contents those of ``source`` (``target`` may be a mount point)."""
    target.mkdir(parents=True, exist_ok=True)
    for child in target.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    shutil.copytree(source, target, dirs_exist_ok=True)


def _write_private(path: Path, data: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + TMP_SUFFIX)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(data)
    os.replace(tmp, path)


# --- commands ------------------------------------------------------------------------------


def _revision() -> str | None:
    try:
        with db.engine.connect() as conn:
            return conn.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception:
        return None


def backup(target: Path) -> dict[str, Any]:
    """Write a backup of this instance into the new or empty folder ``target``."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; back up into a new folder.")
    target.mkdir(parents=True, exist_ok=True)
    os.chmod(target, 0o700)  # it holds the secret key and everyone's data
    database = _dump_database(target)  # first: rows only point at files that exist
    storage = Path(current_app.config["STORAGE_DIR"])
    if not current_app.config["STORAGE_URL"].startswith("file://"):
        # Object storage: every object is copied into the backup and verified by SHA-256.
        copy_storage(get_storage(), LocalStorage(target / "storage"))
        (target / "storage").mkdir(exist_ok=True)
    elif storage.is_dir():
        shutil.copytree(storage, target / "storage", ignore=_ignore_temp)
    else:
        (target / "storage").mkdir()
    _write_private(target / "instance" / "secret_key", current_app.config["SECRET_KEY"])
    config_file = Path(current_app.instance_path) / "config.py"
    if config_file.is_file():
        shutil.copy2(config_file, target / "instance" / "config.py")
    manifest = {
        "format": FORMAT,
        "created_at": utcnow().isoformat(timespec="seconds"),
        "database": database,
        "revision": _revision(),
        "files": _count_files(target / "storage"),
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def restore(source: Path) -> dict[str, Any]:
    """Replace this instance's database, files and secret key with backup ``source``."""
    try:
        manifest = json.loads((source / "manifest.json").read_text())
    except (OSError, ValueError):
        raise BackupError(f"{source} is not a Trove backup (no readable manifest.json).") from None
    if manifest.get("format") != FORMAT or manifest.get("database") not in (
        "database.sqlite3",
        "database.dump",
    ):
        raise BackupError(f"{source} is a backup format this version cannot read.")
    _load_database(source, manifest["database"])
    if current_app.config["STORAGE_URL"].startswith("file://"):
        _replace_tree(source / "storage", Path(current_app.config["STORAGE_DIR"]))
    else:  # object storage: copy (and verify) every object back; extra ones do no harm
        copy_storage(LocalStorage(source / "storage"), get_storage())
    instance = Path(current_app.instance_path)
    key = (source / "instance" / "secret_key").read_text()
    _write_private(instance / "secret_key", key)
    if (source / "instance" / "config.py").is_file():
        shutil.copy2(source / "instance" / "config.py", instance / "config.py")
    upgrade()  # a backup of an older version comes up to date
    db.engine.dispose()
    return manifest
