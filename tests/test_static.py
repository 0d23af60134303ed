"""Static URLs carry their file's content hash and hashed URLs are cached for good."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from trove.static import IMMUTABLE

STATIC = Path(__file__).resolve().parent.parent / "static"


def _short_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _static_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href|data-worker)="(/static/[^"]+)"', html)


def test_every_static_url_on_a_page_carries_its_files_hash(client):
    urls = _static_urls(client.get("/login").get_data(as_text=True))
    names = {url.split("?")[0].removeprefix("/static/") for url in urls}
    assert names == {
        "app.css",
        "app.js",
        "blur.js",
        "blur-upload.js",
        "favicon.svg",
        "strip.js",
        "strip-worker.js",
        "vendor/htmx-2.0.11/htmx.min.js",
    }
    for url in urls:
        path, query = url.replace("&amp;", "&").split("?")
        assert query == f"v={_short_hash(STATIC / path.removeprefix('/static/'))}"


def test_a_hashed_url_is_cached_for_good(client):
    url = re.search(r'src="(/static/app\.js\?v=[0-9a-f]+)"', client.get("/login").text).group(1)
    with client.get(url) as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert response.get_data() == (STATIC / "app.js").read_bytes()


@pytest.mark.parametrize("query", ["", "?v=000000000000"])
def test_an_unhashed_or_stale_url_still_works_and_revalidates(client, query):
    with client.get(f"/static/app.js{query}") as response:
        assert response.status_code == 200
        assert "immutable" not in response.headers["Cache-Control"]
        assert "no-cache" in response.headers["Cache-Control"]
        etag = response.headers["ETag"]
    with client.get(f"/static/app.js{query}", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304


def test_changing_a_file_changes_its_url(make_app, tmp_path):
    folder = tmp_path / "static"
    folder.mkdir()
    script = folder / "app.js"
    script.write_text("console.log('one');\n")
    app = make_app(DEBUG=True)
    app.static_folder = str(folder)
    with app.test_request_context():
        from flask import url_for

        first = url_for("static", filename="app.js")
        assert first == f"/static/app.js?v={_short_hash(script)}"
        script.write_text("console.log('two, longer');\n")
        os.utime(script, ns=(0, script.stat().st_mtime_ns + 10**9))
        second = url_for("static", filename="app.js")
    assert second == f"/static/app.js?v={_short_hash(script)}"
    assert second != first
    client = app.test_client()
    with client.get(second) as fresh, client.get(first) as stale:
        assert fresh.headers["Cache-Control"] == IMMUTABLE
        assert "immutable" not in stale.headers["Cache-Control"]


def test_outside_debug_the_hash_is_computed_once_per_process(make_app, tmp_path):
    folder = tmp_path / "static"
    folder.mkdir()
    script = folder / "app.js"
    script.write_text("one")
    app = make_app()
    app.static_folder = str(folder)
    with app.test_request_context():
        from flask import url_for

        first = url_for("static", filename="app.js")
        script.write_text("two, longer")
        assert url_for("static", filename="app.js") == first
    restarted = make_app()
    restarted.static_folder = str(folder)
    with restarted.test_request_context():
        assert url_for("static", filename="app.js") == f"/static/app.js?v={_short_hash(script)}"


def test_a_missing_static_file_gets_no_version(app):
    with app.test_request_context():
        from flask import url_for

        assert url_for("static", filename="nope.js") == "/static/nope.js"
        assert url_for("static", filename="../pyproject.toml") == "/static/../pyproject.toml"


def _decoded(response) -> bytes:
    import gzip
    import zlib

    import brotli

    data = response.get_data()
    return {
        "br": brotli.decompress,
        "gzip": gzip.decompress,
        "deflate": zlib.decompress,
    }[response.headers["Content-Encoding"]](data)


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_pages_are_compressed_for_browsers_that_accept_it(client, encoding):
    plain = client.get("/login").get_data()
    with client.get("/login", headers={"Accept-Encoding": encoding}) as response:
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
        assert len(response.get_data()) < len(plain) / 2
        assert b"</html>" in _decoded(response)


def test_static_files_are_compressed_and_still_cached_for_good(client):
    url = re.search(r'href="(/static/app\.css\?v=[0-9a-f]+)"', client.get("/login").text).group(1)
    with client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"}) as response:
        assert response.headers["Content-Encoding"] == "br"
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert _decoded(response) == (STATIC / "app.css").read_bytes()
        assert len(response.get_data()) < (STATIC / "app.css").stat().st_size / 3


def test_photos_are_sent_as_they_are(app_ctx, client):
    from tests.conftest import login
    from tests.factories import make_processed_submission, make_project

    project = make_project()
    submission = make_processed_submission(project)
    login(client, project.members[0].user.email)
    url = f"/submissions/{submission.id}/image/320"
    with client.get(url, headers={"Accept-Encoding": "br, gzip"}) as response:
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert "Content-Encoding" not in response.headers
        assert response.get_data()[:2] == b"\xff\xd8"
