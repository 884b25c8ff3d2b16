#!/usr/bin/env bash
# Create .venv (Python >= 3.11) and install the locked dependencies plus cbec
# itself in editable mode. Skips pip when .venv/.cbec-installed is newer than
# both requirements.lock and pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP=$VENV/.cbec-installed
PY=${PYTHON:-python3}

# pip on some machines prints many harmless "Location ... is ignored" warnings.
quiet_pip() {
  local log rc=0
  log=$(mktemp)
  "$VENV/bin/python" -m pip --disable-pip-version-check --no-input -q "$@" >"$log" 2>&1 || rc=$?
  grep -v -E 'Location .* is ignored|^\s*$' "$log" >&2 || true
  rm -f "$log"
  return "$rc"
}

if [[ ! -x $VENV/bin/python ]]; then
  if ! command -v "$PY" >/dev/null 2>&1; then
    echo "venv.sh: $PY not found; install Python >= 3.11" >&2
    exit 1
  fi
  if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "venv.sh: $PY is $("$PY" -V 2>&1); cbec needs Python >= 3.11 (set PYTHON=python3.11)" >&2
    exit 1
  fi
  "$PY" -m venv "$VENV" || {
    echo "venv.sh: 'python3 -m venv' failed; on Debian: apt-get install python3-venv" >&2
    exit 1
  }
fi

if [[ -f $STAMP && $STAMP -nt requirements.lock && $STAMP -nt pyproject.toml ]]; then
  exit 0
fi

quiet_pip install -r requirements.lock
quiet_pip install --no-deps -e .
touch "$STAMP"
