#!/usr/bin/env bash
# Throw-away PostgreSQL cluster for tests (no Docker, no system service).
#   scripts/pg.sh start   start (or reuse) a server on 127.0.0.1:$PORT with db cbec_test
#   scripts/pg.sh stop    stop it and delete its directory
#   scripts/pg.sh url     print the SQLAlchemy URL
# PORT is ${CBEC_TEST_PG_PORT:-55432}; the cluster lives in /tmp/cbec-pg-$PORT.
# Prints nothing but errors.
set -euo pipefail

PORT=${CBEC_TEST_PG_PORT:-55432}
BASE=/tmp/cbec-pg-$PORT
DATA=$BASE/data
SOCK=$BASE/sock
LOG=$BASE/server.log
DB=cbec_test

die() { echo "pg.sh: $*" >&2; exit 1; }

find_pgbin() {
  local d
  d=$(shopt -s nullglob; printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  if [[ -n $d && -x $d/initdb ]]; then echo "$d"; fi
}

# Run a command as the cluster owner: postgres when we are root (initdb refuses
# root), otherwise the current user.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    local cmd
    printf -v cmd '%q ' "$@"
    su postgres -s /bin/sh -c "$cmd"
  else
    "$@"
  fi
}

ensure_postgres_installed() {
  PGBIN=$(find_pgbin)
  if [[ -z $PGBIN ]]; then
    [[ $(id -u) -eq 0 ]] || die "PostgreSQL is not installed; run as root or: sudo apt-get install postgresql"
    command -v apt-get >/dev/null || die "PostgreSQL is not installed and apt-get is unavailable"
    local log=/tmp/cbec-pg-apt.log
    export DEBIAN_FRONTEND=noninteractive
    apt-get -qq update >"$log" 2>&1 || { cat "$log" >&2; die "apt-get update failed"; }
    apt-get -qq install -y --no-install-recommends postgresql >"$log" 2>&1 ||
      { cat "$log" >&2; die "apt-get install postgresql failed"; }
    rm -f "$log"
    PGBIN=$(find_pgbin)
    [[ -n $PGBIN ]] || die "initdb still not found under /usr/lib/postgresql/*/bin"
  fi
}

ready() {
  # pg_isready is in the client package; fall back to a bare TCP probe.
  if [[ -n ${PGBIN:-} && -x $PGBIN/pg_isready ]]; then
    "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 2 >/dev/null 2>&1
  elif command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h 127.0.0.1 -p "$PORT" -t 2 >/dev/null 2>&1
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") >/dev/null 2>&1
  fi
}

psql_q() {
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tA "$@"
}

create_db() {
  if [[ $(psql_q -c "select 1 from pg_database where datname = '$DB'") != 1 ]]; then
    psql_q -c "create database $DB" >/dev/null
  fi
}

start() {
  ensure_postgres_installed
  if ready; then
    # Something already serves this port (an earlier start, or another run): reuse it.
    create_db || die "a server answers on 127.0.0.1:$PORT but creating database $DB failed"
    return 0
  fi

  local owner
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "user 'postgres' does not exist"
    owner=postgres
  else
    owner=$(id -un)
  fi

  # A leftover directory without a running server (crash, reboot): start fresh.
  if [[ -d $BASE && ! -f $DATA/PG_VERSION ]]; then rm -rf "$BASE"; fi
  install -d -m 755 "$BASE"
  install -d -m 700 "$DATA"
  install -d -m 755 "$SOCK"
  if [[ $(id -u) -eq 0 ]]; then chown -R "$owner:" "$BASE"; fi

  if [[ ! -f $DATA/PG_VERSION ]]; then
    as_owner "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$BASE/initdb.log" 2>&1 || { cat "$BASE/initdb.log" >&2; die "initdb failed"; }
  fi

  # Settings for a disposable test server: fast, not durable.
  local opts="-p $PORT -k $SOCK -c listen_addresses=127.0.0.1 -c fsync=off"
  opts+=" -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
  as_owner "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 -o "$opts" start >/dev/null 2>&1 || {
    [[ -f $LOG ]] && tail -n 30 "$LOG" >&2
    die "pg_ctl start failed (port $PORT)"
  }
  create_db || die "creating database $DB failed"
}

stop() {
  PGBIN=$(find_pgbin)
  if [[ -f $DATA/PG_VERSION && -n $PGBIN ]]; then
    as_owner "$PGBIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$BASE"
}

url() {
  echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/$DB"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  url) url ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
