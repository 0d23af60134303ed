#!/usr/bin/env bash
# Create .venv and install Trove with the given extra (prod, test) into it, unless this
# pyproject.toml was already installed with that extra: a stamp in .venv holds its hash,
# so restarting the server does not run pip again when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

extra=${1:?usage: scripts/install.sh EXTRA}
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.trove-installed-$extra"
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[$extra]"
  echo "$wanted" > "$stamp"
fi
