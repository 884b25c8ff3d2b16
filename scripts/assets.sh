#!/usr/bin/env bash
# Install the pinned front-end packages (package-lock.json) and copy the
# browser bundles into src/cbec/web/static/vendor/ (a generated folder).
# Idempotent: does nothing when node_modules and the vendor copies are current.
set -euo pipefail
cd "$(dirname "$0")/.."

VENDOR=src/cbec/web/static/vendor
# source (in node_modules) -> file name in $VENDOR
ASSETS=(
  "node_modules/htmx.org/dist/htmx.min.js:htmx.min.js"
  "node_modules/echarts/dist/echarts.min.js:echarts.min.js"
)

if ! command -v npm >/dev/null 2>&1; then
  echo "assets.sh: npm not found; install Node.js (>= 18) and npm" >&2
  exit 1
fi

# npm ci when node_modules is missing or older than the lock file.
# npm writes node_modules/.package-lock.json on every install; use it as the stamp.
STAMP=node_modules/.package-lock.json
if [[ ! -f $STAMP || package-lock.json -nt $STAMP ]]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  touch "$STAMP"
fi

mkdir -p "$VENDOR"
for pair in "${ASSETS[@]}"; do
  src=${pair%%:*}
  dst=$VENDOR/${pair##*:}
  if [[ ! -f $src ]]; then
    echo "assets.sh: missing $src after npm ci" >&2
    exit 1
  fi
  if [[ ! -f $dst ]] || ! cmp -s "$src" "$dst"; then
    cp "$src" "$dst"
  fi
done
