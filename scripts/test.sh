#!/usr/bin/env bash
# Run the whole test suite on a fresh machine: installs uv (from PyPI) if missing, syncs the
# locked environment, runs ruff (lint and format), pytest on Python 3.11 (Meltano and Airflow
# pipelines included), then the tap's suites on Python 3.10, 3.12 and 3.13. Extra arguments go
# to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/_uv.sh
source scripts/_uv.sh
uv sync --frozen --quiet
# Pipeline tests run the real Meltano (in its own cached venv, never the project's).
MELTANO_BIN="$(scripts/ensure_meltano.sh)"
export MELTANO_BIN
uv run --frozen ruff check tap_brightpearl tests bench orchestrate scripts
uv run --frozen ruff format --check --quiet tap_brightpearl tests bench orchestrate scripts
uv run --frozen pytest "$@"
# The tap on every other Python the package declares (3.10, 3.12, 3.13), where the machine has it.
exec scripts/test_pythons.sh "$@"
