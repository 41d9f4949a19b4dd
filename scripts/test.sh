#!/usr/bin/env bash
# README command two: the whole test suite on a fresh machine. Needs Python 3.10+; installs uv (from
# PyPI, into ~/.cache/tap-brightpearl) if it is not on PATH, syncs the locked environment (.venv,
# Python 3.11), installs Meltano into its own cache venv, runs ruff (lint and format), pytest on
# Python 3.11 (Meltano and Airflow pipelines included), then the tap's suites on every other Python
# the package declares (scripts/test_pythons.sh; under CI=true a missing one fails the run).
#
#   ./scripts/test.sh                      # everything
#   ./scripts/test.sh -q -x                # options go to pytest
#   ./scripts/test.sh tests/test_cli.py    # test paths: only those, on every Python
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/_uv.sh
source scripts/_uv.sh
echo "test.sh: syncing .venv from uv.lock (Python $UV_PYTHON)" >&2
uv sync --frozen --quiet
# Pipeline tests run the real Meltano (in its own cached venv, never the project's).
MELTANO_BIN="$(scripts/ensure_meltano.sh)"
export MELTANO_BIN
uv run --frozen ruff check tap_brightpearl tests bench orchestrate scripts
uv run --frozen ruff format --check --quiet tap_brightpearl tests bench orchestrate scripts
uv run --frozen pytest "$@"
# The tap on every other Python the package declares (3.10, 3.12, 3.13), wherever the machine has it.
exec scripts/test_pythons.sh "$@"
