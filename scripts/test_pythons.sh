#!/usr/bin/env bash
# The unit, emulator, recordings and CLI suites on every Python the package declares (the
# "Programming Language :: Python :: 3.X" classifiers of pyproject.toml) other than the main run's
# (.venv, Python 3.11), each in its own environment from uv.lock (~/.cache/tap-brightpearl/venv-py3.X).
# A Python is looked for as python3.X on PATH, in pyenv's versions (pyenv on PATH or not), asdf's
# and mise's installs, /usr/local/bin, /usr/bin, /opt/homebrew/bin, and uv's own Pythons
# (`uv python find`, downloads off). One the machine lacks is reported and skipped; under CI=true
# it fails the run (after the others ran). Called by scripts/test.sh.
#
#   scripts/test_pythons.sh [pytest args]   # test paths among the arguments replace the suites
#   scripts/test_pythons.sh --list          # each declared Python and where it was found; runs nothing
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/_uv.sh
source scripts/_uv.sh
# The tap under each Python (its CLI over real HTTP included); the emulator's own tests run once, on 3.11.
SUITES=(tests/test_signing.py tests/test_installs_parsing.py tests/test_fuzz_parsing.py
        tests/test_installed_accounts.py tests/test_account_timezones.py tests/test_account_data.py
        tests/test_incremental.py tests/test_defaults.py tests/test_architecture.py tests/test_oauth.py
        tests/test_account_resources.py tests/test_custom_streams.py tests/contract)

# (bash 3.2-safe: no mapfile, and "${a[@]+"${a[@]}"}" for arrays that may be empty)
DECLARED=($(grep -o '"Programming Language :: Python :: 3\.[0-9]*"' pyproject.toml | grep -o '3\.[0-9]*'))
[ "${#DECLARED[@]}" -gt 0 ] || { echo "test_pythons: pyproject.toml declares no Python 3.X classifier" >&2; exit 1; }
MAIN="$UV_PYTHON"  # the version scripts/test.sh's main run uses

is_version() {  # $1 = interpreter, $2 = 3.X: it runs and is that version
  [ -x "$1" ] && "$1" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$2'.split('.'))))" 2>/dev/null
}

candidates() {  # $1 = 3.X: every place a Python 3.X may live, best first
  local version="$1" root
  command -v "python$version" 2>/dev/null || true
  for root in "${PYENV_ROOT:-}" "$(pyenv root 2>/dev/null || true)" "$HOME/.pyenv" \
              "${ASDF_DATA_DIR:-$HOME/.asdf}/installs/python" "${MISE_DATA_DIR:-$HOME/.local/share/mise}/installs/python"; do
    [ -n "$root" ] || continue
    for dir in "$root/versions" "$root"; do
      # Newest patch release first (3.12.9 before 3.12.1).
      ls -1 "$dir" 2>/dev/null | grep "^${version//./\\.}\.[0-9]*$" | sort -t. -k3,3nr | sed "s|^|$dir/|; s|\$|/bin/python$version|" || true
    done
  done
  echo "/usr/local/bin/python$version"
  echo "/usr/bin/python$version"
  echo "/opt/homebrew/bin/python$version"
  UV_PYTHON_DOWNLOADS=never "$UV" python find --system --no-project "$version" 2>/dev/null || true
}

find_python() {  # $1 = 3.X: the first working interpreter of that version, or nothing
  local candidate
  while IFS= read -r candidate; do
    if [ -n "$candidate" ] && is_version "$candidate" "$1"; then
      echo "$candidate"
      return
    fi
  done < <(candidates "$1")
}

if [ "${1:-}" = "--list" ]; then
  missing=()
  for version in "${DECLARED[@]}"; do
    interpreter="$(find_python "$version")"
    if [ -n "$interpreter" ]; then echo "$version $interpreter"; else echo "$version missing"; missing+=("$version"); fi
  done
  if [ "${#missing[@]}" -gt 0 ] && [ "${CI:-}" = "true" ]; then
    echo "test_pythons: CI=true and Python ${missing[*]} (declared in pyproject.toml) not found on this machine" >&2
    exit 1
  fi
  exit 0
fi

# Test paths given (tests/x.py, tests/x.py::test_y) replace the suites; options are passed on.
paths=() options=()
for arg in "$@"; do
  if [[ "$arg" != -* ]] && [ -e "${arg%%::*}" ]; then paths+=("$arg"); else options+=("$arg"); fi
done
[ "${#paths[@]}" -gt 0 ] || paths=("${SUITES[@]}")

# Every other Python at once (each run waits on its servers as much as on a core), each in its own
# pytest folder, its output shown whole when it ends.
missing=() failed=() pids=() versions=() logs=()
for version in "${DECLARED[@]}"; do
  [ "$version" != "$MAIN" ] || continue
  interpreter="$(find_python "$version")"
  if [ -z "$interpreter" ]; then
    echo "test_pythons: Python $version not found (PATH, pyenv, asdf, mise, /usr/local/bin, /usr/bin, uv python find); skipped" >&2
    missing+=("$version")
    continue
  fi
  venv="$BP_TOOLS_CACHE/venv-py$version"
  UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT="$venv" UV_PYTHON="$interpreter" \
    uv sync --frozen --quiet --python "$interpreter"
  log="$(mktemp "${TMPDIR:-/tmp}/bp-test-py$version.XXXXXX")"
  "$venv/bin/python" -m pytest -q -p no:cacheprovider --basetemp "$BP_TOOLS_CACHE/pytest-py$version" \
    "${paths[@]}" ${options[@]+"${options[@]}"} > "$log" 2>&1 &
  pids+=("$!") versions+=("$version ($interpreter)") logs+=("$log")
done
for i in "${!pids[@]}"; do
  if wait "${pids[$i]}"; then outcome=passed; else outcome=FAILED; failed+=("${versions[$i]%% *}"); fi
  echo "test_pythons: Python ${versions[$i]}: $outcome" >&2
  cat "${logs[$i]}"
  rm -f "${logs[$i]}"
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "test_pythons: tests failed on Python ${failed[*]}" >&2
  exit 1
fi
if [ "${#missing[@]}" -gt 0 ] && [ "${CI:-}" = "true" ]; then
  echo "test_pythons: CI=true and Python ${missing[*]} (declared in pyproject.toml) not found: install it (e.g. uv python install ${missing[*]})" >&2
  exit 1
fi
