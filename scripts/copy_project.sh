#!/usr/bin/env bash
# Copy this project into DEST (which must not exist yet) for a Meltano that must not touch the
# checkout: the demo and the tests run `meltano` there, so the checkout's meltano.yml, .meltano/
# and .env stay yours. Left out: .git and what .gitignore lists (.venv, .meltano, .env, output,
# caches); everything else, uncommitted edits included, is copied.
#
#   scripts/copy_project.sh DEST
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${1:?usage: scripts/copy_project.sh DEST}"
if [ -e "$DEST" ]; then echo "copy_project: $DEST already exists" >&2; exit 1; fi
mkdir -p "$DEST"
tar -C "$ROOT" -cf - \
  --exclude=./.git --exclude=./.venv --exclude=./.meltano --exclude=./.env --exclude=./output \
  --exclude=./demo-output --exclude=./dist --exclude=./build --exclude=__pycache__ --exclude='*.pyc' \
  --exclude=.pytest_cache --exclude=.ruff_cache --exclude=.hypothesis --exclude='*.egg-info' . \
  | tar -C "$DEST" -xf -
echo "$DEST"
