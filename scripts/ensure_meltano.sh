#!/usr/bin/env bash
# Install uv (if absent) and Meltano 4.4.1 into a cache venv, never into the project venv,
# and print the path of the meltano executable. Needs only python3 (>= 3.10) and PyPI.
# Used by scripts/demo.sh and CI; reruns are instant.
set -euo pipefail

MELTANO_VERSION="${MELTANO_VERSION:-4.4.1}"
CACHE="${BP_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tap-brightpearl}"
PY="${PYTHON:-$(command -v python3.11 || command -v python3)}"
MELTANO_VENV="$CACHE/meltano-$MELTANO_VERSION"
mkdir -p "$CACHE"

if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "ensure_meltano: $PY is $("$PY" -V 2>&1); Python 3.10 or newer is needed" >&2
  exit 1
fi

UV="$(command -v uv || true)"
if [ -z "$UV" ]; then
  UV="$CACHE/uv-venv/bin/uv"
  if [ ! -x "$UV" ]; then
    echo "ensure_meltano: installing uv from PyPI into $CACHE/uv-venv" >&2
    "$PY" -m venv "$CACHE/uv-venv"
    "$CACHE/uv-venv/bin/python" -m pip install --quiet --disable-pip-version-check uv
  fi
fi

# The postgres extra (psycopg) lets several workers share one system database (MELTANO_DATABASE_URI=
# postgresql+psycopg://...), as the Airflow deployment in orchestrate/airflow/README.md does.
if [ ! -x "$MELTANO_VENV/bin/meltano" ] \
   || ! "$MELTANO_VENV/bin/meltano" --version 2>/dev/null | grep -q "$MELTANO_VERSION" \
   || ! "$MELTANO_VENV/bin/python" -c "import psycopg" 2>/dev/null; then
  echo "ensure_meltano: installing meltano[postgres]==$MELTANO_VERSION into $MELTANO_VENV" >&2
  "$UV" venv --quiet --allow-existing --python "$PY" "$MELTANO_VENV"
  VIRTUAL_ENV="$MELTANO_VENV" "$UV" pip install --quiet "meltano[postgres]==$MELTANO_VERSION"
fi
# Meltano's uv venv backend wants uv on PATH: keep the one we found next to meltano.
if [ ! -e "$MELTANO_VENV/bin/uv" ]; then ln -sf "$UV" "$MELTANO_VENV/bin/uv"; fi
echo "$MELTANO_VENV/bin/meltano"
