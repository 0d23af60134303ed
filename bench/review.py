"""Benchmark the review queue at 100,000 submissions, on SQLite and PostgreSQL.

Reports the median server time of the queue's first page, a deep page and an approve
toggle, and the number of SQL queries per request for several page sizes (it must not grow
with the page size). Target: under 50 ms median per request on each backend.

Run from the repository root:  .venv/bin/python bench/review.py [--rows 100000]
PostgreSQL is measured when its server binaries (initdb, pg_ctl) are installed
(Debian: apt-get install postgresql); a throw-away cluster is started in a temp folder.

``--browser`` measures the reviewer's hands instead: with 1,000 photos queued (``--rows``
changes it) on SQLite, headless Chromium presses A on card after card of the queue and
times each key press until the next card is focused and its image decoded and painted
(target: 95th percentile at most 100 ms). It ends by printing one JSON line with at least
``keypress_to_next_p95_ms`` (a contract other tools read).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, func, insert, select, update  # noqa: E402

from bench._cost import Cost, print_statements, report  # noqa: E402
from tests.pg import cluster, create_database, server_bindir  # noqa: E402
from trove import create_app  # noqa: E402
from trove.accounts.models import Role, User  # noqa: E402
from trove.extensions import db  # noqa: E402
from trove.projects.models import Project  # noqa: E402
from trove.review import queries  # noqa: E402
from trove.submissions.models import Submission, SubmissionStatus  # noqa: E402
from trove.submissions.spots import status_counts  # noqa: E402

PASSWORD = "benchmark password"  # noqa: S105


def published_project(domain: str, *, target: int, pay_minor: int) -> Any:
    """Create an owner, an admin and a published project open to uploads; return it."""
    from trove.accounts.service import create_user
    from trove.projects import service as projects

    owner = create_user(f"owner@{domain}", PASSWORD, "Owner", role=Role.LAB_MEMBER)
    admin = create_user(f"admin@{domain}", PASSWORD, "Admin", role=Role.ADMIN)
    project = projects.create_project(owner, "Benchmark project")
    for key, value in {
        "summary": "s",
        "must_show": "m",
        "usage": "u",
        "access": "a",
        "retention_days": 30,
        "target_count": target,
        "pay_minor": pay_minor,
        "currency": "USD",
        "deadline": date.today() + timedelta(days=30),
    }.items():
        setattr(project, key, value)
    projects.confirm_rules(project, owner)
    projects.submit_project(project, owner)
    projects.publish_project(project, admin)
    return project


def seed(rows: int) -> tuple[int, str]:
    """Create a published project with ``rows`` pending photos; return (project id, email)."""
    from flask_migrate import upgrade

    upgrade()
    seeded = db.session.scalar(select(Project).where(Project.title == "Benchmark project"))
    if seeded is not None:  # a database given with --database-url, seeded by an earlier run
        return seeded.id, seeded.created_by.email
    project = published_project("bench.example.org", target=rows * 2, pay_minor=100)
    db.session.commit()
    contributors = []
    for chunk in range(0, 2000, 500):
        db.session.execute(
            insert(User),
            [
                {
                    "email": f"c{n}@bench.example.org",
                    "display_name": f"C{n}",
                    "password_hash": "x",
                    "role": Role.CONTRIBUTOR,
                    "login_id": f"bench-{n}",
                    "active": True,
                }
                for n in range(chunk, chunk + 500)
            ],
        )
    contributors = list(db.session.scalars(select(User.id).where(User.role == Role.CONTRIBUTOR)))
    version = project.current_version_id
    batch = []
    for n in range(rows):
        digest = f"{n:064x}"
        batch.append(
            {
                "project_id": project.id,
                "contributor_id": contributors[n % len(contributors)],
                "status": SubmissionStatus.PENDING_REVIEW,
                "original_filename": f"p{n}.jpg",
                "upload_format": "jpeg",
                "upload_size": 3_000_000,
                "upload_sha256": digest,
                "storage_key": f"{digest}.jpeg",
                "stored_format": "jpeg",
                "sha256": digest,
                "phash": f"{n % 65536:016x}",
                "width": 4032,
                "height": 3024,
                "brief_version_id": version,
                "licence_hash": "0" * 64,
            }
        )
        if len(batch) == 5000:
            db.session.execute(insert(Submission), batch)
            batch = []
    if batch:
        db.session.execute(insert(Submission), batch)
    # The rows went in around the status helper: give the project the counts it keeps.
    db.session.execute(
        update(Project)
        .where(Project.id == project.id)
        .values(active_count=rows, photos_pending_review=rows)
    )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # What autovacuum does on a live server: statistics and the visibility map.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    return project.id, project.created_by.email


class QueryCounter:
    """Count SQL statements sent by the engine."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._on)

    def _on(self, *args: object) -> None:
        self.count += 1


def _median_ms(run: Any, n: int = 15) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bench_app(url: str, workdir: Path, **config: object) -> Any:
    """Return the app on the database at ``url``, files under ``workdir``, jobs in-process."""
    return create_app(
        {
            "SECRET_KEY": "bench",
            "DATABASE_URL": url,
            "STORAGE_DIR": str(workdir / "storage"),
            "TASKS_MODE": "sync",
            "MAIL_BACKEND": "memory",
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
            **config,
        }
    )


def measure(
    label: str, url: str, rows: int, workdir: Path, log_path: Path | None = None, runs: int = 7
) -> dict[str, float]:
    """Seed a backend and time the queue requests (``log_path``: the server's log)."""
    app = bench_app(url, workdir, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    with app.app_context():
        started = time.perf_counter()
        project_id, email = seed(rows)
        seeded = time.perf_counter() - started
        ids = list(
            db.session.scalars(
                select(Submission.id)
                .where(Submission.project_id == project_id)
                .order_by(Submission.id)
            )
        )
        # The counters' reference, in this run: what the queue counted before (GROUP BY
        # status over every photo of the project) against the project row it reads now.
        grouped = select(Submission.status, func.count()).where(Submission.project_id == project_id)
        recount_ms = _median_ms(
            lambda: db.session.execute(grouped.group_by(Submission.status)).all()
        )
        row_ms = _median_ms(lambda: status_counts(project_id))
        counter = QueryCounter(db.engine)
        cost = Cost(db.engine, log_path)
        slow: list[tuple[float, str]] = []

        @event.listens_for(db.engine, "before_cursor_execute")
        def _start(conn, cursor, statement, params, context, many):  # type: ignore[no-untyped-def]
            conn.info["bench_t"] = time.perf_counter()

        @event.listens_for(db.engine, "after_cursor_execute")
        def _end(conn, cursor, statement, params, context, many):  # type: ignore[no-untyped-def]
            slow.append(((time.perf_counter() - conn.info["bench_t"]) * 1000, statement))

    client = app.test_client()
    client.post("/login", data={"email": email, "password": PASSWORD})

    def timed(method: str, path: str, n: int = 30) -> tuple[float, int]:
        times, queries_seen = [], []
        for _ in range(n):
            before = counter.count
            start = time.perf_counter()
            response = client.open(path, method=method, headers={"HX-Request": "true"})
            times.append((time.perf_counter() - start) * 1000)
            queries_seen.append(counter.count - before)
            assert response.status_code < 400, (path, response.status_code)
        return statistics.median(times), max(queries_seen)

    results: dict[str, float] = {}
    first_ms, first_q = timed("GET", f"/projects/{project_id}/review")
    deep_ms, deep_q = timed("GET", f"/projects/{project_id}/review?cursor={ids[-100]}")
    newest_ms, _ = timed("GET", f"/projects/{project_id}/review?sort=newest&cursor={ids[100]}")
    toggles_on, toggles_off, clicks, toggle_q = [], [], [], 0
    htmx = {"HX-Request": "true"}
    for submission_id in ids[1000:1030]:
        before = counter.count
        start = time.perf_counter()
        client.post(f"/submissions/{submission_id}/approve", headers=htmx)
        toggles_on.append((time.perf_counter() - start) * 1000)
        toggle_q = max(toggle_q, counter.count - before)
        # The click's whole cost: the card, then the counters it triggers a refresh of.
        client.get(f"/projects/{project_id}/review/counters", headers=htmx)
        clicks.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        client.post(f"/submissions/{submission_id}/reset", headers={"HX-Request": "true"})
        toggles_off.append((time.perf_counter() - start) * 1000)
    costs = breakdown(client, project_id, ids[2000 : 2000 + runs], cost)
    per_size = {}
    original = queries.PAGE_SIZE
    for size in (10, 30, 100):
        queries.PAGE_SIZE = size
        _, per_size[size] = timed("GET", f"/projects/{project_id}/review", n=3)
    queries.PAGE_SIZE = original
    print(f"\n== {label}: {rows:,} submissions (seeded in {seeded:.1f} s)")
    print(f"  queue, first page       {first_ms:7.1f} ms median   {first_q} queries")
    print(f"  queue, deep page        {deep_ms:7.1f} ms median   {deep_q} queries")
    print(f"  queue, newest, deep     {newest_ms:7.1f} ms median")
    approve_ms = statistics.median(toggles_on)
    print(f"  approve                 {approve_ms:7.1f} ms median   {toggle_q} queries")
    click_ms = statistics.median(clicks)
    print(f"  approve + counters      {click_ms:7.1f} ms median")
    print(
        f"  counters: project row   {row_ms:7.2f} ms median, instead of GROUP BY over every "
        f"photo {recount_ms:.1f} ms ({recount_ms / row_ms:.0f}x)"
    )
    print(f"  undo (back to pending)  {statistics.median(toggles_off):7.1f} ms median")
    print("  queries per page size   " + ", ".join(f"{k}: {v}" for k, v in per_size.items()))
    by_statement: dict[str, list[float]] = {}
    for ms, statement in slow:
        by_statement.setdefault(" ".join(statement.split())[:90], []).append(ms)
    top = sorted(by_statement.items(), key=lambda kv: -statistics.median(kv[1]))[:3]
    print("  slowest statements (median ms):")
    for statement, times in top:
        print(f"    {statistics.median(times):6.1f}  {statement}")
    worst = max(first_ms, deep_ms, click_ms)
    print(f"  target < 50 ms median:  {'met' if worst < 50 else 'MISSED'} (worst {worst:.1f} ms)")
    results.update(
        first=first_ms, deep=deep_ms, approve=approve_ms, click=click_ms, recount=recount_ms
    )
    results.update(costs)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return results


def breakdown(client: Any, project_id: int, ids: list[int], cost: Cost) -> dict[str, float]:
    """Measure one queue page load and one approve click per id: wall, server, CPU."""
    htmx = {"HX-Request": "true"}

    def page() -> dict[str, Any]:
        with cost.measure() as found:
            client.get(f"/projects/{project_id}/review", headers=htmx)
        return found

    def click(submission_id: int) -> dict[str, Any]:
        with cost.measure() as found:
            client.post(f"/submissions/{submission_id}/approve", headers=htmx)
            client.get(f"/projects/{project_id}/review/counters", headers=htmx)
        client.post(f"/submissions/{submission_id}/reset", headers=htmx)
        return found

    cost.set_logging(True)
    try:
        pages = [page() for _ in ids]
        clicks = [click(submission_id) for submission_id in ids]
    finally:
        cost.set_logging(False)
    print("  -- breakdown: what a request costs, apart from the machine's load")
    found = {}
    for key, label, runs in (("page", "queue page", pages), ("click", "approve click", clicks)):
        medians = report(label, runs, 50)
        if cost.log_path is not None:
            print("    statements of the last run, server-side duration:")
            print_statements(runs[-1])
        for figure, value in medians.items():
            found[f"{key}_{figure}"] = value
    return found


#: Runs in the page: time each A press until the next card shows its image, painted.
TIMER = """() => {
  window.__latencies = [];
  document.addEventListener("keydown", (event) => {
    if (event.key !== "a") { return; }
    const start = performance.now();
    const from = document.activeElement;
    let frames = 0;
    const check = () => {
      frames += 1;
      const card = document.activeElement;
      const img = card && card !== from && card.matches("[data-review-card]")
        ? card.querySelector("img") : null;
      if (img && img.complete && img.naturalWidth > 0) {
        // The frame after this one has painted the image.
        requestAnimationFrame(() => {
          window.__latencies.push(performance.now() - start);
          (window.__frames = window.__frames || []).push([frames, card === from]);
        });
      } else {
        requestAnimationFrame(check);
      }
    };
    requestAnimationFrame(check);
  }, true);
}"""


def _point_at_real_images(count: int = 8) -> None:
    """Store a few real photos and point every seeded row at one of them (cyclically)."""
    from tests.images import photo
    from trove.files import get_storage
    from trove.media import process_image
    from trove.submissions.jobs import THUMB_SIZES

    storage = get_storage()
    keys = []
    for seed_n in range(count):
        processed = process_image(photo(640, 480, seed=seed_n), thumb_sizes=THUMB_SIZES)
        key = storage.put_original(processed.data, processed.format)
        for size, thumb in processed.thumbnails.items():
            storage.put_derived(key, size, thumb)
        keys.append(key)
    ids = list(db.session.scalars(select(Submission.id).order_by(Submission.id)))
    for n, key in enumerate(keys):
        db.session.execute(
            Submission.__table__.update()
            .where(Submission.id.in_(ids[n :: len(keys)]))
            .values(storage_key=key)
        )
    db.session.commit()


def measure_browser(rows: int, presses: int, workdir: Path) -> dict[str, Any]:
    """Time key press → next photo painted in Chromium over ``presses`` approvals."""
    from playwright.sync_api import sync_playwright

    from tests.chromium import launch
    from tests.conftest import LiveServer

    app = create_app(
        {
            "SECRET_KEY": "bench",
            "DATABASE_URL": f"sqlite:///{workdir / 'browser.sqlite3'}",
            "STORAGE_DIR": str(workdir / "browser-storage"),
            "TASKS_MODE": "sync",
            "MAIL_BACKEND": "memory",
            "RATELIMIT_ENABLED": False,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
        }
    )
    with app.app_context():
        project_id, email = seed(rows)
        _point_at_real_images()
    with LiveServer(app) as server, sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        page.set_default_timeout(30_000)
        page.goto(f"{server.url}/login")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.locator('.site-nav form[action$="/logout"]').wait_for(state="attached")
        page.goto(f"{server.url}/projects/{project_id}/review")
        page.evaluate(TIMER)
        page.keyboard.press("ArrowRight")
        for n in range(presses):
            # Press only once the card after the focused one exists (the next page has come).
            page.wait_for_function(
                "() => { const c = document.activeElement;"
                " return c && c.matches('[data-review-card]') && c.nextElementSibling"
                " && c.nextElementSibling.matches('[data-review-card]'); }"
            )
            page.keyboard.press("a")
            page.wait_for_function(f"() => window.__latencies.length > {n}")
        raw = page.evaluate("window.__latencies")
        if os.environ.get("BENCH_DEBUG"):
            frames = page.evaluate("window.__frames")
            print([(i, round(v), frames[i]) for i, v in enumerate(raw) if v > 100], file=sys.stderr)
        latencies = sorted(raw)
        browser.close()
    p95 = latencies[min(len(latencies) - 1, int(round(0.95 * len(latencies))) - 1)]
    return {
        "bench": "review-browser",
        "queued": rows,
        "presses": len(latencies),
        "keypress_to_next_p50_ms": round(statistics.median(latencies), 1),
        "keypress_to_next_p95_ms": round(p95, 1),
        "keypress_to_next_max_ms": round(latencies[-1], 1),
        "target_p95_ms": 100,
        "cpus": os.cpu_count(),
    }


def main() -> None:
    """Run the benchmark on each available backend (or, with --browser, in Chromium)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="measure one backend")
    parser.add_argument("--browser", action="store_true", help="time key press to next photo")
    parser.add_argument(
        "--database-url", help="measure this PostgreSQL database (seeded once, then reused)"
    )
    parser.add_argument("--server-log", type=Path, help="with --database-url: the server's log")
    parser.add_argument("--presses", type=int, default=100, help="with --browser: approvals")
    args = parser.parse_args()
    if args.browser:
        with tempfile.TemporaryDirectory(prefix="trove-bench-") as tmp:
            result = measure_browser(args.rows or 1000, args.presses, Path(tmp))
        print(json.dumps(result), flush=True)
        return
    args.rows = args.rows or 100_000
    summary: dict[str, object] = {"rows": args.rows, "load_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="trove-bench-") as tmp:
        workdir = Path(tmp)
        if args.database_url:
            found = measure("PostgreSQL", args.database_url, args.rows, workdir, args.server_log)
            print(json.dumps({k: round(v, 1) for k, v in found.items()}))
            return
        backends = [("SQLite", "sqlite", None)]
        if server_bindir() is None:
            print("\n== PostgreSQL: skipped (initdb not found; apt-get install postgresql)")
        else:
            backends.append(("PostgreSQL", "postgresql", workdir / "postgres"))
        for label, key, folder in backends:
            if args.only and key != args.only:
                continue
            if folder is None:
                found = measure(label, f"sqlite:///{workdir / 'bench.sqlite3'}", args.rows, workdir)
            else:
                with cluster(folder) as base:
                    create_database(base, "trove")
                    found = measure(
                        label, f"{base}/trove", args.rows, workdir, log_path=folder / "pg.log"
                    )
            summary[f"{key}_queue_page_ms"] = round(found["first"], 1)
            summary[f"{key}_deep_page_ms"] = round(found["deep"], 1)
            summary[f"{key}_approve_click_ms"] = round(found["click"], 1)
            summary[f"{key}_replaced_group_by_ms"] = round(found["recount"], 1)
            for request_key in ("page", "click"):
                name = "queue_page" if request_key == "page" else "approve_click"
                for figure in ("server_logged_ms", "server_cpu_ms", "python_ms", "cost_ms"):
                    summary[f"{key}_{name}_{figure}"] = round(found[f"{request_key}_{figure}"], 1)
    timed = {k: v for k, v in summary.items() if k.endswith(("_page_ms", "_click_ms"))}
    for key, ms in timed.items():
        print(f"{'PASS' if ms < 50 else 'MISS'} {key}: {ms} ms median (target < 50 ms)")  # type: ignore[operator]
    worst = max(timed.values())  # type: ignore[type-var]
    summary["verdict"] = "PASS" if worst < 50 else "MISS"  # type: ignore[operator]
    summary["load_after"] = os.getloadavg()[0]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
