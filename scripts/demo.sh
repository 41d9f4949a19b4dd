#!/usr/bin/env bash
# README command one: a full `meltano run tap-brightpearl target-csv` against the
# built-in Brightpearl emulator, then the loaded accounts as a table. No credentials:
# the emulator makes up its own developer token and secret for this run.
#
#   ./scripts/demo.sh [--accounts N] [--seed S]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ACCOUNTS=25
SEED=7
while [ $# -gt 0 ]; do
  case "$1" in
    --accounts) ACCOUNTS="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1" >&2; exit 2 ;;
  esac
done

# The machine's Python (3.10+) and uv (installed into ~/.cache/tap-brightpearl if absent).
# shellcheck source=scripts/_uv.sh
source "$ROOT/scripts/_uv.sh"
echo "==> Installing Meltano if needed (cached under ~/.cache/tap-brightpearl)"
MELTANO="$("$ROOT/scripts/ensure_meltano.sh")"
echo "==> Syncing the project's environment (.venv, from uv.lock)"
(cd "$ROOT" && uv sync --frozen --quiet)
VENV_PY="$ROOT/.venv/bin/python"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/brightpearl-demo.XXXXXX")"
EMU_PID=""
cleanup() {
  if [ -n "$EMU_PID" ] && kill -0 "$EMU_PID" 2>/dev/null; then
    kill "$EMU_PID" 2>/dev/null || true
    wait "$EMU_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# Meltano runs in a throwaway copy of the project with a throwaway system database: the
# checkout's meltano.yml, .meltano/ and .env stay as they are, and no state from earlier runs.
PROJECT="$("$ROOT/scripts/copy_project.sh" "$WORK/project")"
cd "$PROJECT"
export MELTANO_PROJECT_ROOT="$PROJECT"
export MELTANO_DATABASE_URI="sqlite:///$WORK/meltano.db"
export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false
echo "==> Installing the Meltano plugins tap-brightpearl and target-csv (in a copy of the project)"
"$MELTANO" install tap-brightpearl target-csv >"$WORK/install.log" 2>&1 \
  || { tail -n 30 "$WORK/install.log" >&2; echo "demo: meltano install failed (log above)" >&2; exit 1; }

echo "==> Starting the Brightpearl emulator ($ACCOUNTS accounts, 3 datacentres)"
"$VENV_PY" -m tests.emulator --accounts "$ACCOUNTS" --seed "$SEED" \
  --config-out "$WORK/config.json" >"$WORK/emulator.log" 2>&1 &
EMU_PID=$!
for _ in $(seq 1 100); do
  [ -s "$WORK/config.json" ] && break
  kill -0 "$EMU_PID" 2>/dev/null || { cat "$WORK/emulator.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$WORK/config.json" ] || { echo "demo: the emulator did not start" >&2; exit 1; }

# Settings reach the tap the way a deployment passes them: TAP_BRIGHTPEARL_* variables
# (object settings as JSON). The demo also selects the account streams, which are opt-in:
# reading business data spends quota in every customer's account (README, "Streams").
eval "$("$PY" "$ROOT/scripts/demo_table.py" env "$WORK/config.json")"
export TAP_BRIGHTPEARL__SELECT='["installed_accounts.*", "account_timezones.*", "orders.*", "products.*", "contacts.*", "warehouses.*", "account_configuration.*"]'
export TARGET_CSV_OUTPUT_PATH="$WORK/output"

echo "==> meltano run tap-brightpearl target-csv"
if ! "$MELTANO" run tap-brightpearl target-csv >"$WORK/run.log" 2>&1; then
  tail -n 40 "$WORK/run.log" >&2
  echo "demo: meltano run failed (log above)" >&2
  exit 1
fi
echo
"$PY" "$ROOT/scripts/demo_table.py" table "$WORK/output"
mkdir -p "$ROOT/demo-output"
rm -f "$ROOT/demo-output/"*.csv
cp "$WORK/output/"*.csv "$ROOT/demo-output/"
echo
echo "CSV files kept in demo-output/ (one per stream). Next, in README.md:"
echo "  \"Try it against the emulator\": run the tap yourself, every stream, as a public, a private and an OAuth app"
echo "  \"With Meltano\": your own Brightpearl into PostgreSQL (needs your credentials and TARGET_POSTGRES_SQLALCHEMY_URL)"
