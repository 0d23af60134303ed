"""Load: concurrent phone clients uploading 3-4 MB photos and browsing, on real servers.

Starts, on loopback: a private redis-server, PostgreSQL (a throw-away cluster, when its
server binaries are installed; SQLite otherwise), Trove under gunicorn (gthread workers),
and two RQ workers (``flask trove worker``) that strip and thumbnail what arrives. Then:

1. **Upload path vs a bare WSGI app.** N clients upload as fast as they can for a while,
   first to Trove (login cookie, consent, multipart photo → validation, quarantine write,
   row, job), then to a bare WSGI app under the same gunicorn settings that only reads the
   request body and writes it to a file (fsynced, like Trove's quarantine). Reported:
   uploads/s and MB/s of each and their ratio (target: Trove ≥ 70% of bare). Then the same
   over tus (``POST /projects/<id>/uploads``, then one PATCH with the photo, as the upload
   page sends it; ``--tus-pieces N`` splits it), against the same bare figure.
2. **Mixed traffic.** N clients browse (the project list, a brief, My photos, a status
   card) and upload, for the given time; reported: requests/s, p50/p95/p99 latency per
   kind, and errors (must be 0). The media queue is drained at the end and its rate shown.

Run from the repository root:  .venv/bin/python bench/load.py [--clients 50] [--seconds 60]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402

from tests.conftest import RedisServer, _free_port, _wait_for_port  # noqa: E402
from tests.pg import cluster, create_database, server_bindir  # noqa: E402

PASSWORD = "load-test-password"

BARE_APP = '''
import os, tempfile

def app(environ, start_response):
    """Write the request body to a file, fsync it, and say 201."""
    target = os.environ["BARE_DIR"]
    stream = environ["wsgi.input"]
    left = int(environ.get("CONTENT_LENGTH") or 0)
    fd, path = tempfile.mkstemp(dir=target)
    with os.fdopen(fd, "wb") as out:
        while left > 0:
            chunk = stream.read(min(1024 * 1024, left))
            if not chunk:
                break
            out.write(chunk)
            left -= len(chunk)
        out.flush()
        os.fsync(out.fileno())
    start_response("201 Created", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
'''


class Photos:
    """Distinct phone-like 12 MP JPEGs of 3-4 MB, made on demand from one picture."""

    def __init__(self, megapixels: float = 12.0) -> None:
        width = int((megapixels * 1_000_000 * 4 / 3) ** 0.5)
        height = width * 3 // 4
        base = Image.radial_gradient("L").resize((width, height)).convert("RGB")
        noise = Image.effect_noise((width, height), 25).convert("RGB")
        buffer = io.BytesIO()
        Image.blend(base, noise, 0.5).save(buffer, "JPEG", quality=85)
        self.data = buffer.getvalue()
        self.count = 0
        self.lock = threading.Lock()

    def next(self) -> bytes:
        """Return a photo no one sent before (a distinct comment; stripping removes it)."""
        with self.lock:
            self.count += 1
            tag = f"load test photo {self.count} {random.random()}".encode()
        segment = b"\xff\xfe" + (len(tag) + 2).to_bytes(2, "big") + tag
        return self.data[:2] + segment + self.data[2:]


class Stats:
    """Latencies and errors per request kind, shared by the client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.bytes_up = 0
        self.samples: list[str] = []

    def done(self, kind: str) -> int:
        """Return how many requests of ``kind`` succeeded."""
        return len(self.latency[kind]) - self.errors[kind]

    def add(self, kind: str, seconds: float, ok: bool, sent: int = 0, note: str = "") -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            self.bytes_up += sent
            if not ok:
                self.errors[kind] += 1
                if len(self.samples) < 5:
                    self.samples.append(f"{kind}: {note}")


def request(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, bytes, http.client.HTTPResponse]:
    """Send one request on a fresh connection (as a phone on a flaky network would)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, data, response
    finally:
        conn.close()


def _token(html: bytes) -> str:
    marker = b'"X-CSRFToken": "'
    start = html.index(marker) + len(marker)
    return html[start : html.index(b'"', start)].decode()


def login(port: int, email: str) -> tuple[str, str]:
    """Sign in as a browser would (CSRF token first); return (session cookie, CSRF token)."""
    status, page, response = request(port, "GET", "/login")
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    body = (
        f"email={email.replace('@', '%40')}&password={PASSWORD}&csrf_token={_token(page)}"
    ).encode()
    status, _data, response = request(
        port,
        "POST",
        "/login",
        body,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    if status != 303:
        raise SystemExit(f"login failed for {email}: {status}")
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    _status, page, response = request(port, "GET", "/projects", headers={"Cookie": cookie})
    # The page's CSRF token is stored in the session, which that answer may send anew.
    renewed = response.getheader("Set-Cookie")
    if renewed:
        cookie = renewed.split(";", 1)[0]
    return cookie, _token(page)


def client_loop(
    port: int,
    cookie: tuple[str, str] | None,
    project_id: int,
    consent: int,
    photos: Photos,
    stop: float,
    stats: Stats,
    *,
    browse: bool,
    path: str,
    tus_pieces: int = 0,
) -> None:
    """Upload (and, when ``browse``, read pages) until ``stop``; over tus with ``tus_pieces``."""
    rng = random.Random(str(cookie))
    # As the upload script sends a photo: the file itself is the body.
    headers = {
        "Content-Type": "application/octet-stream",
        "X-Trove-Filename": "IMG_0001.JPG",
        "HX-Request": "true",
    }
    if cookie:
        headers["Cookie"], headers["X-CSRFToken"] = cookie
    session = {"Cookie": cookie[0]} if cookie else {}
    last_card = None
    while time.monotonic() < stop:
        if browse:
            page = rng.choice(["/projects", f"/projects/{project_id}", "/me/photos"])
            started = time.perf_counter()
            status, _data, _r = request(port, "GET", page, headers=session)
            stats.add("browse", time.perf_counter() - started, status == 200, note=str(status))
            if last_card:
                started = time.perf_counter()
                status, _data, _r = request(
                    port, "GET", last_card, headers={**session, "HX-Request": "true"}
                )
                stats.add("status card", time.perf_counter() - started, status == 200)
        body = photos.next()
        started = time.perf_counter()
        try:
            if tus_pieces:
                status, data = tus_upload(port, headers, path, body, tus_pieces)
            else:
                status, data, _response = request(port, "POST", path, body, headers)
        except OSError as error:  # the server answered (and closed) before the body was sent
            status, data = 0, repr(error).encode()
        ok = status == 201
        stats.add(
            "upload", time.perf_counter() - started, ok, len(body), f"{status} {data[:120]!r}"
        )
        if ok and browse:
            marker = data.find(b'id="submission-')
            if marker >= 0:
                number = data[marker + 15 : data.find(b'"', marker + 15)].decode()
                last_card = f"/submissions/{number}/card"


def tus_upload(
    port: int, headers: dict[str, str], path: str, body: bytes, pieces: int
) -> tuple[int, bytes]:
    """Send one photo over tus in ``pieces`` PATCHes; return (201 when it is in, last body)."""
    consent = path.rsplit("consent=", 1)[1]
    auth = {k: v for k, v in headers.items() if k in ("Cookie", "X-CSRFToken")}
    tus = {**auth, "Tus-Resumable": "1.0.0"}
    metadata = "filename {},consent {}".format(
        base64.b64encode(b"IMG_0001.JPG").decode(), base64.b64encode(consent.encode()).decode()
    )
    status, data, response = request(
        port,
        "POST",
        path.split("/submissions")[0] + "/uploads",
        headers={**tus, "Upload-Length": str(len(body)), "Upload-Metadata": metadata},
    )
    if status != 201:
        return status, data
    location = response.getheader("Location")
    size = -(-len(body) // pieces)
    for offset in range(0, len(body), size):
        status, data, response = request(
            port,
            "PATCH",
            location,
            body[offset : offset + size],
            {
                **tus,
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(offset),
            },
        )
        if status != 204:
            return status, data
    return (201 if response.getheader("X-Trove-Submission") else 500), data


def run_clients(
    port: int,
    cookies: list[tuple[str, str] | None],
    project_id: int,
    consent: int,
    photos: Photos,
    seconds: float,
    *,
    browse: bool,
    path: str,
    tus_pieces: int = 0,
) -> tuple[Stats, float]:
    """Run one thread per client for ``seconds``; return the stats and the elapsed time."""
    stats = Stats()
    stop = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=client_loop,
            args=(port, cookie, project_id, consent, photos, stop, stats),
            kwargs={"browse": browse, "path": path, "tus_pieces": tus_pieces},
        )
        for cookie in cookies
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats, time.monotonic() - started


def percentile(values: list[float], q: float) -> float:
    """Return the ``q`` quantile (0-1) of ``values``, in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def cpu_seconds(master: subprocess.Popen) -> tuple[float, float]:
    """Return the CPU time (user, system) used so far by a gunicorn master's workers."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    user = system = 0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        user += int(fields[11])  # utime
        system += int(fields[12])  # stime
    return user / ticks, system / ticks


def gunicorn(app: str, port: int, env: dict[str, str], workers: int) -> subprocess.Popen:
    """Start gunicorn serving ``app`` on ``port`` and wait until it listens."""
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--timeout",
            "120",
            "--log-level",
            "warning",
            app,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for_port(port, timeout=60)
    return process


def main() -> None:
    """Set up the servers, run both measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--compare-seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument(
        "--warmup", type=float, default=5, help="unmeasured seconds of uploads before each part"
    )
    parser.add_argument(
        "--tus-pieces", type=int, default=1, help="PATCHes per photo on the tus path"
    )
    parser.add_argument(
        "--compare-only", action="store_true", help="measure the upload path only (part 1)"
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="sample Trove's workers with py-spy during part 1 (raw stacks and a summary in DIR)",
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="trove-bench-load-"))
    processes: list[subprocess.Popen] = []
    redis = RedisServer(root)
    try:
        redis.start()
        if server_bindir() is not None:
            pg = cluster(root / "postgres")
            base = pg.__enter__()
            create_database(base, "trove")
            database_url = f"{base}/trove"
            backend = "PostgreSQL"
        else:
            pg = None
            database_url = f"sqlite:///{root / 'trove.sqlite3'}"
            backend = "SQLite"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis.url,
            "TROVE_STORAGE_DIR": str(root / "storage"),
            "TROVE_SECRET_KEY": "load-bench",
            "TROVE_RATELIMIT_ENABLED": "false",
            "TROVE_MAIL_BACKEND": "log",
            "TROVE_NO_DEMO": "1",
            "FLASK_APP": "wsgi",
        }
        flask = str(Path(sys.executable).parent / "flask")
        subprocess.run([flask, "db", "upgrade"], env=env, check=True, capture_output=True)
        seed = subprocess.run(
            [sys.executable, __file__, "--seed-only", str(args.clients)],
            env=env,
            capture_output=True,
            text=True,
        )
        if seed.returncode != 0:
            raise SystemExit(f"seeding failed:\n{seed.stderr[-3000:]}")
        project_id, consent = json.loads(seed.stdout.strip().splitlines()[-1])
        port = _free_port()
        processes.append(gunicorn("wsgi:app", port, env, args.workers))
        cookies = [login(port, f"phone{n}@load.example") for n in range(args.clients)]
        photos = Photos()
        print(
            f"{args.clients} clients, gunicorn {args.workers} workers x 8 threads, {backend}; "
            f"photos: 12 MP JPEG, {len(photos.data) / 1e6:.1f} MB each",
            flush=True,
        )
        upload_path = f"/projects/{project_id}/submissions?consent={consent}"

        # 1. The upload path against a bare app, each alone on the machine (the media
        # workers start afterwards, so neither side shares the CPU with them).
        bare_dir = root / "bare"
        bare_dir.mkdir()
        (root / "bare_app.py").write_text(BARE_APP)
        bare_port = _free_port()
        bare = gunicorn(
            "bare_app:app",
            bare_port,
            {**env, "BARE_DIR": str(bare_dir), "PYTHONPATH": str(root)},
            args.workers,
        )

        def measure(
            master: subprocess.Popen,
            at: int,
            users: list[tuple[str, str] | None],
            path: str,
            label: str,
            tus_pieces: int = 0,
        ) -> tuple[Stats, float, tuple[float, float]]:
            """Warm the workers up, then run the upload-only clients; return stats, seconds and
            the workers' CPU seconds (user, system) during the run."""

            def clients(seconds: float) -> tuple[Stats, float]:
                return run_clients(
                    at, users, project_id, consent, photos, seconds,
                    browse=False, path=path, tus_pieces=tus_pieces,
                )  # fmt: skip

            # Unmeasured: each worker's first requests import modules and compile templates.
            clients(args.warmup)
            spy = profiler(master, args.profile, label, args.compare_seconds)
            before = cpu_seconds(master)
            stats, elapsed = clients(args.compare_seconds)
            after = cpu_seconds(master)
            if spy is not None:
                spy.wait()
                summarise_profile(Path(args.profile) / f"{label}.txt", len(stats.latency["upload"]))
            return stats, elapsed, (after[0] - before[0], after[1] - before[1])

        bare_stats, bare_time, bare_split = measure(
            bare, bare_port, [None] * args.clients, "/upload", "bare"
        )
        bare.terminate()
        bare.wait(30)
        shutil.rmtree(bare_dir, ignore_errors=True)
        trove_stats, trove_time, trove_split = measure(
            processes[0], port, cookies, upload_path, "raw"
        )
        tus_stats, tus_time, tus_split = measure(
            processes[0], port, cookies, upload_path, f"tus-{args.tus_pieces}", args.tus_pieces
        )
        bare_cpu, trove_cpu, tus_cpu = sum(bare_split), sum(trove_split), sum(tus_split)
        bare_rate = bare_stats.done("upload") / bare_time
        print("\n1. upload path, upload-only clients")
        for name, stats, elapsed, (user, system) in (
            ("bare WSGI (write + fsync)", bare_stats, bare_time, bare_split),
            ("Trove (raw body)", trove_stats, trove_time, trove_split),
            (f"Trove over tus ({args.tus_pieces} PATCH)", tus_stats, tus_time, tus_split),
        ):
            ups = stats.latency["upload"]
            rate = stats.done("upload") / elapsed
            print(
                f"  {name:27s} {rate:6.1f} uploads/s  {stats.bytes_up / elapsed / 1e6:6.1f} MB/s"
                f"  p50 {percentile(ups, 0.5):6.0f} ms  p95 {percentile(ups, 0.95):6.0f} ms"
                f"  server CPU {(user + system) / max(len(ups), 1) * 1000:5.1f} ms/upload"
                f" ({system / max(len(ups), 1) * 1000:4.1f} system)"
                f"  errors {sum(stats.errors.values())}"
            )
        for name, stats, elapsed in (
            ("Trove", trove_stats, trove_time),
            ("Trove over tus", tus_stats, tus_time),
        ):
            ratio = stats.done("upload") / elapsed / bare_rate
            print(f"  {name} / bare throughput: {ratio:.0%} (target >= 70%)")
            for sample in stats.samples:
                print("  error:", sample)
        summary = compare_summary(
            (bare_stats, bare_time, bare_cpu), (trove_stats, trove_time, trove_cpu)
        )
        tus = compare_summary(
            (bare_stats, bare_time, bare_cpu), (tus_stats, tus_time, tus_cpu), "Trove over tus"
        )
        summary["tus_ratio_vs_bare"] = tus["ratio_vs_bare"]
        summary["tus_cpu_ms_per_upload"] = tus["trove_cpu_ms_per_upload"]
        print(json.dumps(summary))
        if args.compare_only:
            return

        # 2. Mixed traffic with the two media workers running.
        for _ in range(2):
            processes.append(
                subprocess.Popen(
                    [flask, "trove", "worker"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        mixed, mixed_time = run_clients(
            port,
            cookies,
            project_id,
            consent,
            photos,
            args.seconds,
            browse=True,
            path=upload_path,
        )
        total = sum(len(v) for v in mixed.latency.values())
        print(
            f"\n2. mixed traffic for {mixed_time:.0f} s: {total / mixed_time:.1f} requests/s, "
            f"errors {sum(mixed.errors.values())}"
        )
        for kind, values in sorted(mixed.latency.items()):
            print(
                f"  {kind:12s} {len(values):6d} requests  p50 {percentile(values, 0.5):6.0f} ms"
                f"  p95 {percentile(values, 0.95):6.0f} ms  p99 {percentile(values, 0.99):6.0f} ms"
            )
        for sample in mixed.samples:
            print("  error:", sample)
        drained = drain(env)
        print(f"\nmedia queue: {drained}")
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        redis.stop()
        if server_bindir() is not None and "pg" in locals() and pg is not None:
            pg.__exit__(None, None, None)
        shutil.rmtree(root, ignore_errors=True)


def profiler(
    master: subprocess.Popen, folder: str | None, label: str, seconds: float
) -> subprocess.Popen | None:
    """Start py-spy on gunicorn's workers for ``seconds`` when ``folder`` is given."""
    if not folder:
        return None
    spy = os.environ.get("PY_SPY") or shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--profile needs py-spy (pip install py-spy, or PY_SPY=path)")
    Path(folder).mkdir(parents=True, exist_ok=True)
    # Raw stacks per function (one line each), sampled without pausing the workers.
    command = [spy, "record", "--pid", str(master.pid), "--subprocesses", "--format", "raw"]
    # --gil: only samples of a thread holding the GIL, i.e. Python running on a CPU (a thread
    # waiting on the database, the socket or the disk is left out).
    command += ["--function", "--gil", "--nonblocking", "--rate", "200"]
    command += ["--duration", str(int(seconds))]
    command += ["--output", str(Path(folder) / f"{label}.txt")]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarise_profile(path: Path, uploads: int, top: int = 40) -> None:
    """Print where the sampled workers spent their time: per function, self and inclusive."""
    own: dict[str, int] = defaultdict(int)
    inclusive: dict[str, int] = defaultdict(int)
    total = 0
    for line in path.read_text().splitlines():
        stack, _sep, count = line.rpartition(" ")
        frames = [f.split(" (")[0] + " (" + f.rsplit("/", 1)[-1] for f in stack.split(";")[1:]]
        n = int(count)
        total += n
        own[frames[-1] if frames else "?"] += n
        for frame in set(frames):
            inclusive[frame] += n
    print(f"\n  profile {path.name}: {total} samples at 200/s, {uploads} uploads")
    for title, table in (("self", own), ("inclusive", inclusive)):
        print(f"  -- {title} (ms per upload) --")
        for frame, n in sorted(table.items(), key=lambda kv: -kv[1])[:top]:
            print(f"  {n * 5 / max(uploads, 1):8.2f}  {frame}")


def compare_summary(
    bare: tuple[Stats, float, float], trove: tuple[Stats, float, float], name: str = "Trove"
) -> dict[str, object]:
    """Print PASS/MISS lines and return the contract figures of part 1 (one JSON line).

    Each side is (stats, seconds, server CPU seconds). ``ratio_vs_bare`` is throughput
    (successful uploads/s) in the same run; on a machine shared with other work it moves
    with the load, so ``cpu_ratio_vs_bare`` (server CPU per upload of the bare app over
    Trove's, from the workers' utime + stime) is printed beside it.
    """
    figures = {}
    for side, (stats, elapsed, cpu) in (("bare", bare), ("trove", trove)):
        done = stats.done("upload")
        figures[f"{side}_uploads_per_s"] = done / elapsed if elapsed else 0.0
        figures[f"{side}_cpu_ms_per_upload"] = cpu / max(len(stats.latency["upload"]), 1) * 1000
    bare_rate = figures["bare_uploads_per_s"]
    ratio = figures["trove_uploads_per_s"] / bare_rate if bare_rate else 0.0
    cpu_ratio = figures["bare_cpu_ms_per_upload"] / (figures["trove_cpu_ms_per_upload"] or 1)
    errors = sum(trove[0].errors.values()) + sum(bare[0].errors.values())
    for measure, value in (("throughput", ratio), ("CPU per upload", cpu_ratio)):
        verdict = "PASS" if value >= 0.7 and not errors else "MISS"
        print(f"{verdict} {name} / bare {measure}: {value:.0%} (target >= 70%, errors {errors})")
    return {
        "ratio_vs_bare": round(ratio, 3),
        "cpu_ratio_vs_bare": round(cpu_ratio, 3),
        **{key: round(value, 2) for key, value in figures.items()},
        "errors": errors,
        "target": 0.7,
        "result": "PASS" if ratio >= 0.7 and not errors else "MISS",
    }


def drain(env: dict[str, str], timeout: float = 120) -> str:
    """Let the RQ workers work on the backlog for up to ``timeout`` s; describe the rate."""
    script = (
        "import time, json\n"
        "from sqlalchemy import func, select\n"
        "from trove import create_app\n"
        "from trove.extensions import db\n"
        "from trove.submissions.models import Submission, SubmissionStatus\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    def left():\n"
        "        db.session.rollback()\n"
        "        return db.session.scalar(select(func.count()).select_from(Submission)"
        ".where(Submission.status == SubmissionStatus.PROCESSING))\n"
        f"    start, first = time.time(), left()\n"
        f"    while left() and time.time() - start < {timeout}:\n"
        "        time.sleep(1)\n"
        "    done = db.session.scalar(select(func.count()).select_from(Submission)"
        ".where(Submission.status != SubmissionStatus.PROCESSING))\n"
        "    print(json.dumps([first, left(), done, time.time() - start]))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    first, left, done, seconds = json.loads(out.stdout.strip().splitlines()[-1])
    rate = (first - left) / seconds if seconds else 0.0
    return (
        f"{first} photos were waiting when the clients stopped; the 2 workers processed "
        f"{first - left} in {seconds:.0f} s ({rate:.1f} photos/s; {left} left); "
        f"{done} processed in all"
    )


def seed_only(clients: int) -> None:
    """Create the project and the phone users (run inside the app's environment)."""
    from bench.review import published_project
    from trove import create_app
    from trove.accounts.service import create_user
    from trove.config import env_overrides
    from trove.extensions import db

    # A config passed in replaces the environment's, so carry the environment over.
    app = create_app({**env_overrides(), "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024})
    with app.app_context():
        project = published_project("load.example", target=1_000_000, pay_minor=10)
        for n in range(clients):
            create_user(f"phone{n}@load.example", PASSWORD, f"Phone {n}")
        db.session.commit()
        print(json.dumps([project.id, project.current_version_id]))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--seed-only":
        seed_only(int(sys.argv[2]))
    else:
        main()
