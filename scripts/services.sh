#!/usr/bin/env bash
# Make sure the services the test suite needs are up, starting them when they are down.
# PostgreSQL also gets wal_level=logical (needed for CDC), restarting it only when that changes.
# In CI (CI=true) a service that cannot be started is a failure; elsewhere it is a warning and the
# tests that need it are skipped with the reason shown.
set -uo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
in_ci() { [[ "${CI:-}" =~ ^(1|true|yes)$ ]]; }
fail() {
  if in_ci; then echo "services: $*" >&2; exit 1; fi
  echo "services: warning: $* (tests that need it will be skipped)" >&2
}
pg_cluster() {
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  [[ -n "$version" ]] && pg_ctlcluster --skip-systemctl-redirect "$version" main "$1"
}
pg_up() { pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; }
wait_pg() { for _ in $(seq 1 60); do pg_up && return 0; sleep 0.5; done; return 1; }
psql_admin() { psql -X -q -At -U postgres -h "$PGHOST" -p "$PGPORT" -d postgres "$@"; }

ensure_postgres() {
  if ! command -v pg_isready >/dev/null; then fail "PostgreSQL client tools not installed"; return; fi
  if ! pg_up; then
    echo "services: starting PostgreSQL"
    pg_cluster start >/dev/null 2>&1 || true
    wait_pg || { fail "PostgreSQL is down at $PGHOST:$PGPORT and could not be started"; return; }
  fi
  local level
  level=$(psql_admin -c "SHOW wal_level") || { fail "cannot connect to PostgreSQL as postgres"; return; }
  if [[ "$level" != "logical" ]]; then
    echo "services: setting wal_level=logical (one restart)"
    psql_admin -c "ALTER SYSTEM SET wal_level = logical" &&
      pg_cluster restart >/dev/null 2>&1 && wait_pg ||
      { fail "could not restart PostgreSQL with wal_level=logical"; return; }
    level=$(psql_admin -c "SHOW wal_level")
    [[ "$level" == "logical" ]] || { fail "wal_level is still $level"; return; }
  fi
  echo "services: PostgreSQL up at $PGHOST:$PGPORT (wal_level=$level)"
}

ensure_postgres
