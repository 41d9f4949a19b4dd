# Put uv on PATH, installing it from PyPI with the machine's Python if it is absent.
if ! command -v uv >/dev/null 2>&1; then
    PY="${PYTHON:-$(command -v python3.11 || command -v python3)}"
    "$PY" -m pip install --quiet --user uv 2>/dev/null || "$PY" -m pip install --quiet uv
    export PATH="$("$PY" -m site --user-base)/bin:$PATH"
fi
export UV_PYTHON="${UV_PYTHON:-3.11}"
