"""`flask trove backup` / `restore`: every row and file comes back, and is served again."""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from pathlib import Path

from sqlalchemy import func, select, text

from tests.conftest import BACKEND, login
from tests.exports.conftest import build_lab, cut
from tests.payouts.conftest import build_team
from trove.extensions import db
from trove.payouts import service as payouts


def _snapshot(app) -> tuple[dict[str, int], dict[str, str]]:
    """Return every table's row count and every stored file's SHA-256."""
    with app.app_context():
        counts = {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
    root = Path(app.config["STORAGE_DIR"])
    files = {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file()
    }
    return counts, files


def _wipe(app) -> None:
    """Lose the database and the files, as a dead disk would."""
    with app.app_context():
        db.session.remove()
        if BACKEND == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            db.engine.dispose()
            Path(db.engine.url.database).unlink()
        db.engine.dispose()
    shutil.rmtree(app.config["STORAGE_DIR"])


def _cli(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["trove", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_backup_wipe_restore_brings_back_every_row_file_image_and_dataset(make_app, tmp_path):
    app = make_app()
    app.instance_path = str(tmp_path / "instance")  # the restore writes the secret key here
    with app.app_context():
        lab = build_lab((2, 1))
        version = cut(lab)
        photo_id, version_id = lab.photos[0].id, version.id
        steward_email = lab.steward.email
    before = _snapshot(app)
    assert len(before[1]) >= 7  # originals, thumbnails and the dataset archive

    _cli(app, "backup", str(tmp_path / "backup"))
    _wipe(app)
    assert "restored" in _cli(app, "restore", "--yes", str(tmp_path / "backup")).lower()

    assert _snapshot(app) == before
    assert (tmp_path / "instance" / "secret_key").read_text() == "test-secret-key"
    client = app.test_client()
    login(client, steward_email)
    with client.get(f"/submissions/{photo_id}/image/320") as image:
        assert image.status_code == 200 and image.data[:3] == b"\xff\xd8\xff"
    with client.get(f"/datasets/{version_id}/download") as archive:
        assert archive.status_code == 200
        assert "manifest.jsonl" in zipfile.ZipFile(io.BytesIO(archive.data)).namelist()


def test_backup_refuses_a_folder_that_is_not_empty(app, tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "x").write_text("keep me")
    result = app.test_cli_runner().invoke(args=["trove", "backup", str(tmp_path / "old")])
    assert result.exit_code != 0 and "not empty" in result.output
    assert (tmp_path / "old" / "x").read_text() == "keep me"


def test_restore_refuses_a_folder_that_is_not_a_backup(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["trove", "restore", "--yes", str(tmp_path)])
    assert result.exit_code != 0 and "not a Trove backup" in result.output


def test_a_batch_prepared_after_restoring_an_older_backup_gets_new_paypal_ids(
    make_app, tmp_path
):
    app = make_app()
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        team = build_team({"ada": 2})
        project_id, finance_id = team.project.id, team.finance.id
    _cli(app, "backup", str(tmp_path / "backup"))

    def prepare() -> tuple[int, str, list[tuple[int, str]]]:
        from trove.accounts.models import User
        from trove.projects.models import Project

        with app.app_context():
            [batch] = payouts.prepare_batch(
                db.session.get(Project, project_id), db.session.get(User, finance_id)
            )
            db.session.commit()
            items = sorted((item.id, item.sender_item_id) for item in batch.items)
            found = batch.id, batch.sender_batch_id, items
            db.session.remove()
            return found

    first = prepare()  # PayPal may already hold this one
    _cli(app, "restore", "--yes", str(tmp_path / "backup"))  # the database before it
    again = prepare()
    assert again[0] == first[0]  # the restored database hands out the same row id again
    assert again[1] != first[1]
    assert again[1].startswith(f"trove-batch-{again[0]:06d}-")
    # Its items too: the same row ids, never an item id PayPal already holds.
    assert [i for i, _ in again[2]] == [i for i, _ in first[2]]
    assert not {ref for _, ref in again[2]} & {ref for _, ref in first[2]}
    assert all(ref.startswith(f"trove-item-{i}-") for i, ref in again[2])
