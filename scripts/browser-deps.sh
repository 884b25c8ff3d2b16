#!/usr/bin/env bash
# Ensure the Debian packages the tests need beyond Python: Chromium (/usr/bin/chromium)
# and CJK fonts (fonts-noto-cjk) for the Playwright browser tests, and a Java runtime
# for the Spark leg of the statistics parity test (PySpark runs on the JVM). Never runs `playwright install`
# (its download host is unreachable on our machines). apt-get update runs only
# when something is missing.
set -euo pipefail

CHROMIUM=${CBEC_CHROMIUM:-/usr/bin/chromium}
missing=()

if [[ ! -x $CHROMIUM ]]; then
  missing+=(chromium)
fi

has_cjk_fonts() {
  if dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'install ok installed'; then
    return 0
  fi
  command -v fc-list >/dev/null 2>&1 && [[ -n $(fc-list :lang=zh family 2>/dev/null | head -n 1) ]]
}
if ! has_cjk_fonts; then
  missing+=(fonts-noto-cjk)
fi

if ! command -v java >/dev/null 2>&1; then
  missing+=(openjdk-17-jre-headless)
fi

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "browser-deps.sh: missing ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=()
fi
command -v apt-get >/dev/null || { echo "browser-deps.sh: missing ${missing[*]} and no apt-get" >&2; exit 1; }

echo "browser-deps.sh: installing ${missing[*]} with apt-get (first run only)..." >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
apt() {
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq "$@" >"$log" 2>&1 || {
    cat "$log" >&2
    echo "browser-deps.sh: apt-get $* failed" >&2
    exit 1
  }
}
apt update
apt install -y --no-install-recommends "${missing[@]}"

if [[ ! -x $CHROMIUM ]]; then
  echo "browser-deps.sh: $CHROMIUM still missing after apt-get install chromium" >&2
  exit 1
fi
