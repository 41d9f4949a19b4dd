#!/usr/bin/env bash
# Install Apache Airflow into its own cache venv (never the project venv) and print the venv path.
#   scripts/ensure_airflow.sh 3          # Airflow 3 (3.3.2); also: 2 (2.10.5) or an exact version
#   scripts/ensure_airflow.sh --lock 3   # re-pin orchestrate/airflow/constraints/apache-airflow-3.3.2.txt
# Airflow 3 comes with the extras a CeleryExecutor deployment needs (celery: the Celery provider, Celery
# and its Redis/AMQP clients; postgres: the PostgreSQL driver for the metadata database), the same set
# tests/pipelines/test_airflow_celery.py runs; Airflow 2 without extras.
# Airflow is installed with the pinned versions of orchestrate/airflow/constraints/ (our stand-in for
# Airflow's published constraints files, made with `uv pip compile` from PyPI), so a cold venv is the
# same every time. Reruns are instant; a changed constraints file makes a new venv
# (airflow-<version>-<hash of the pins>).
set -euo pipefail

AIRFLOW2_VERSION="2.10.5"
AIRFLOW3_VERSION="3.3.2"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

LOCK=0
if [ "${1:-}" = "--lock" ]; then LOCK=1; shift; fi
case "${1:-3}" in
  2) VERSION="$AIRFLOW2_VERSION" ;;
  3) VERSION="$AIRFLOW3_VERSION" ;;
  [23].*) VERSION="$1" ;;
  *) echo "usage: $0 [--lock] 2|3|X.Y.Z" >&2; exit 2 ;;
esac
case "$VERSION" in
  3.*) REQUIREMENT="apache-airflow[celery,postgres]==$VERSION" ;;
  *) REQUIREMENT="apache-airflow==$VERSION" ;;
esac
CONSTRAINTS="$ROOT/orchestrate/airflow/constraints/apache-airflow-$VERSION.txt"
# The same uv and Python as every script (scripts/_uv.sh): uv on PATH, else a cached venv of it.
# shellcheck source=scripts/_uv.sh
source "$ROOT/scripts/_uv.sh"
CACHE="$BP_TOOLS_CACHE"
mkdir -p "$CACHE"

if [ "$LOCK" = 1 ]; then
  {
    echo "# Pinned versions for $REQUIREMENT on Python 3.11+, resolved from PyPI by"
    echo "# \`scripts/ensure_airflow.sh --lock $VERSION\` (uv pip compile --universal); installed with -c."
    echo "$REQUIREMENT" | "$UV" pip compile --quiet --universal --python-version 3.11 \
      --no-annotate --no-header -
  } > "$CONSTRAINTS.tmp"
  mv "$CONSTRAINTS.tmp" "$CONSTRAINTS"
  echo "$CONSTRAINTS"
  exit 0
fi
if [ ! -f "$CONSTRAINTS" ]; then
  echo "ensure_airflow: no $CONSTRAINTS; make it with: $0 --lock $VERSION" >&2
  exit 1
fi

# The venv is named after the pins it holds, so two checkouts with different constraints files never
# rebuild each other's venv (under a running test); one installer at a time (pytest workers, shells).
WANT="$(sha256sum "$CONSTRAINTS" | cut -d' ' -f1)"
VENV="$CACHE/airflow-$VERSION-${WANT:0:12}"
exec 9>"$VENV.lock"
flock 9 2>/dev/null || true
STAMP="$VENV/.constraints.sha256"
if [ ! -x "$VENV/bin/airflow" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  echo "ensure_airflow: installing $REQUIREMENT into $VENV" >&2
  rm -rf "$VENV"
  "$UV" venv --quiet --allow-existing --python "$PY" "$VENV"
  "$UV" pip install --quiet --python "$VENV/bin/python" "$REQUIREMENT" -c "$CONSTRAINTS"
  echo "$WANT" > "$STAMP"
fi
echo "$VENV"
