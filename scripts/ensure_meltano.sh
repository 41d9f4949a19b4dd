#!/usr/bin/env bash
# Install Meltano 4.4.1 into a cache venv (never into the project venv) and print the path of the
# meltano executable. Needs only Python 3.10+ and PyPI: uv comes from scripts/_uv.sh (PATH, or a
# cached venv of it). Used by scripts/demo.sh, scripts/meltano, scripts/test.sh; reruns are instant.
set -euo pipefail

MELTANO_VERSION="${MELTANO_VERSION:-4.4.1}"
# shellcheck source=scripts/_uv.sh
source "$(dirname "${BASH_SOURCE[0]}")/_uv.sh"
MELTANO_VENV="$BP_TOOLS_CACHE/meltano-$MELTANO_VERSION"

# The postgres extra (psycopg) lets several workers share one system database (MELTANO_DATABASE_URI=
# postgresql+psycopg://...), as the Airflow deployment in orchestrate/airflow/README.md does.
if [ ! -x "$MELTANO_VENV/bin/meltano" ] \
   || ! "$MELTANO_VENV/bin/meltano" --version 2>/dev/null | grep -q "$MELTANO_VERSION" \
   || ! "$MELTANO_VENV/bin/python" -c "import psycopg" 2>/dev/null; then
  echo "ensure_meltano: Meltano $MELTANO_VERSION (with psycopg) is not installed yet; installing it into $MELTANO_VENV" >&2
  "$UV" venv --quiet --allow-existing --python "$PY" "$MELTANO_VENV"
  "$UV" pip install --quiet --python "$MELTANO_VENV/bin/python" "meltano[postgres]==$MELTANO_VERSION" \
    || { echo "ensure_meltano: uv could not install meltano[postgres]==$MELTANO_VERSION from PyPI" >&2; exit 1; }
fi
# Meltano's uv venv backend wants uv on PATH: keep the one we found next to meltano.
if [ ! -e "$MELTANO_VENV/bin/uv" ]; then ln -sf "$UV" "$MELTANO_VENV/bin/uv"; fi
echo "$MELTANO_VENV/bin/meltano"
