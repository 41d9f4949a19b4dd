#!/usr/bin/env bash
# Run the whole test suite on a fresh machine: installs uv (from PyPI) if missing,
# syncs the locked environment, then runs pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/_uv.sh
source scripts/_uv.sh
uv sync --frozen --quiet
# Pipeline tests run the real Meltano (in its own cached venv, never the project's).
MELTANO_BIN="$(scripts/ensure_meltano.sh)"
export MELTANO_BIN
uv run --frozen ruff check tap_brightpearl tests bench orchestrate
uv run --frozen ruff format --check --quiet tap_brightpearl tests bench orchestrate
exec uv run --frozen pytest "$@"
