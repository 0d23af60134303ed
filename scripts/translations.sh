#!/usr/bin/env bash
# Update the message catalogues after strings changed, then compile them.
#   bash scripts/translations.sh            extract, update every language, compile
#   bash scripts/translations.sh init xx    start a new language (also add it to LANGUAGES in trove/i18n.py)
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
DIR=trove/translations
$PYBABEL extract -F babel.cfg -k _l -k lazy_ngettext:1,2 -k N_ -k Np_:1,2 --no-location --sort-output \
  --project=Trove --copyright-holder="Trove contributors" -o "$DIR/messages.pot" .
if [ "${1:-}" = "init" ]; then
  $PYBABEL init -i "$DIR/messages.pot" -d "$DIR" -l "$2"
else
  $PYBABEL update -i "$DIR/messages.pot" -d "$DIR" --no-fuzzy-matching --ignore-obsolete
fi
$PYBABEL compile -d "$DIR" --statistics
