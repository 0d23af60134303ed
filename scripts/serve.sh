#!/usr/bin/env bash
# Install Trove into .venv and serve it on its embedded default:
# SQLite and files under instance/, jobs in-process, http://127.0.0.1:5000.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh prod

export FLASK_APP=wsgi
# E-mailed links point here (never at the request's Host); set it to the public address.
export TROVE_BASE_URL="${TROVE_BASE_URL:-http://${HOST:-127.0.0.1}:${PORT:-5000}}"
.venv/bin/flask db upgrade
if [ "${TROVE_NO_DEMO:-0}" != "1" ]; then
  .venv/bin/flask trove seed-demo --if-empty
fi

echo "Trove is starting on http://${HOST:-127.0.0.1}:${PORT:-5000}"
exec .venv/bin/gunicorn --workers 1 --threads 8 --timeout 120 \
  --bind "${HOST:-127.0.0.1}:${PORT:-5000}" --access-logfile - wsgi:app
