#!/usr/bin/env bash
# The unit, emulator, recordings and CLI suites on every Python the package declares
# (3.10 to 3.13) that this machine has, each in its own environment from uv.lock
# (~/.cache/tap-brightpearl/venv-py3.X). A Python the machine lacks is reported, not failed.
# Called by scripts/test.sh after the main run on Python 3.11; extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/_uv.sh
source scripts/_uv.sh
CACHE="${BP_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tap-brightpearl}"
# The tap under each Python (its CLI over real HTTP included); the emulator's own tests run once, on 3.11.
SUITES=(tests/test_signing.py tests/test_installs_parsing.py tests/test_fuzz_parsing.py
        tests/test_installed_accounts.py tests/test_account_timezones.py tests/test_account_data.py
        tests/test_incremental.py tests/test_defaults.py tests/test_architecture.py tests/test_oauth.py
        tests/test_account_resources.py tests/test_custom_streams.py tests/contract)

find_python() {  # $1 = 3.10: a working interpreter of that version, or nothing
  local candidate
  for candidate in "python$1" "$(pyenv root 2>/dev/null)"/versions/"$1".*/bin/"python$1" /usr/bin/"python$1"; do
    if [ -x "$(command -v "$candidate" 2>/dev/null || true)" ] && "$candidate" -c 'import sys' 2>/dev/null; then
      command -v "$candidate"
      return
    fi
  done
}

for version in 3.10 3.12 3.13; do
  interpreter="$(find_python "$version")"
  if [ -z "$interpreter" ]; then
    echo "test_pythons: Python $version is not on this machine; skipped" >&2
    continue
  fi
  venv="$CACHE/venv-py$version"
  UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT="$venv" UV_PYTHON="$interpreter" \
    uv sync --frozen --quiet --python "$interpreter"
  echo "test_pythons: Python $version ($("$venv/bin/python" -V 2>&1))" >&2
  "$venv/bin/python" -m pytest -q -p no:cacheprovider "${SUITES[@]}" "$@"
done
