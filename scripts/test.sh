#!/usr/bin/env bash
# The whole test run, from a clean clone: Python venv, front-end assets, a
# throw-away PostgreSQL, Chromium + CJK fonts, then pytest. Extra arguments go
# to pytest (e.g. scripts/test.sh tests/unit -q -k customs).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/venv.sh
scripts/assets.sh
trap 'scripts/pg.sh stop' EXIT
scripts/pg.sh start
scripts/browser-deps.sh

CBEC_TEST_DATABASE_URL=$(scripts/pg.sh url)
export CBEC_TEST_DATABASE_URL
export CBEC_CHROMIUM=/usr/bin/chromium

rc=0
.venv/bin/python -m pytest "$@" || rc=$?
if ((rc == 5)); then
  echo "test.sh: pytest collected no tests; treating that as a failure" >&2
fi
exit "$rc"
