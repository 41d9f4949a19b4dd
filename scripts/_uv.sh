# Sourced by every script: pick the machine's Python (3.10+) and put uv on PATH.
#
# uv comes from PATH, else from ~/.cache/tap-brightpearl/uv-venv (made once with `python3 -m venv`
# and pip *inside* that venv, so an "externally managed" Python (PEP 668: Debian, Ubuntu, Homebrew)
# is never asked to install anything). Only $BP_TOOLS_CACHE/bin (uv and uvx) goes on PATH, not the
# venv's python. Sets PY (the machine's Python), UV (uv's path) and UV_PYTHON (3.11 unless set).
# Each missing piece is one line on stderr saying what happens, or what to install.

BP_TOOLS_CACHE="${BP_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tap-brightpearl}"
export BP_TOOLS_CACHE

bp_fail() {  # one line on stderr, then stop the sourcing script
  echo "$(basename "$0"): $*" >&2
  exit 1
}

bp_find_python() {  # $PYTHON, else python3.11, else python3
  if [ -n "${PYTHON:-}" ]; then
    command -v "$PYTHON" 2>/dev/null || bp_fail "PYTHON=$PYTHON is not an executable; Python 3.10 or newer is needed"
    return
  fi
  command -v python3.11 2>/dev/null || command -v python3 2>/dev/null \
    || bp_fail "no python3 on PATH: install Python 3.10 or newer (or set PYTHON=/path/to/python3)"
}

PY="$(bp_find_python)" || exit 1
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  bp_fail "$PY is $("$PY" -V 2>&1 || echo 'not a working Python'); Python 3.10 or newer is needed (set PYTHON=/path/to/python3)"
fi
export PYTHON="$PY"

if UV="$(command -v uv 2>/dev/null)"; then
  :
elif [ -x "$BP_TOOLS_CACHE/uv-venv/bin/uv" ]; then
  UV="$BP_TOOLS_CACHE/uv-venv/bin/uv"
else
  mkdir -p "$BP_TOOLS_CACHE"
  # One installer at a time (two shells, pytest workers); flock is absent on macOS: then no lock.
  exec 8>"$BP_TOOLS_CACHE/uv-venv.lock"
  flock 8 2>/dev/null || true
  if [ ! -x "$BP_TOOLS_CACHE/uv-venv/bin/uv" ]; then
    echo "$(basename "$0"): uv is not on PATH; installing it from PyPI into $BP_TOOLS_CACHE/uv-venv (a venv of $PY)" >&2
    rm -rf "$BP_TOOLS_CACHE/uv-venv"
    "$PY" -m venv "$BP_TOOLS_CACHE/uv-venv" >/dev/null 2>&1 \
      || bp_fail "$PY -m venv failed (Debian/Ubuntu: apt install python3-venv), or install uv yourself: https://docs.astral.sh/uv/getting-started/installation/"
    "$BP_TOOLS_CACHE/uv-venv/bin/python" -m pip install --quiet --disable-pip-version-check uv >&2 \
      || bp_fail "pip could not install uv from PyPI into $BP_TOOLS_CACHE/uv-venv (offline? a proxy: set https_proxy)"
  fi
  exec 8>&-
  UV="$BP_TOOLS_CACHE/uv-venv/bin/uv"
fi
"$UV" --version >/dev/null 2>&1 || bp_fail "$UV does not run; remove it (or $BP_TOOLS_CACHE/uv-venv) and try again"
if ! command -v uv >/dev/null 2>&1; then
  # uv (and uvx) alone on PATH: the venv's own python must not shadow the machine's.
  mkdir -p "$BP_TOOLS_CACHE/bin"
  for tool in uv uvx; do
    if [ -x "$(dirname "$UV")/$tool" ]; then ln -sf "$(dirname "$UV")/$tool" "$BP_TOOLS_CACHE/bin/$tool"; fi
  done
  export PATH="$BP_TOOLS_CACHE/bin:$PATH"
fi
export UV
export UV_PYTHON="${UV_PYTHON:-3.11}"
