#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine, makes sure Postgres runs, runs all tests.
# Usage: bash scripts/test.sh [pytest args...]      (the README's test command; .ci/run calls it)
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
as_postgres() { if [ -z "$SUDO" ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need_apt+=(fonts-noto-cjk)
command -v pg_ctlcluster >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

echo "== pip install -r requirements-dev.txt"
python3 -m pip install -q --disable-pip-version-check -r requirements-dev.txt

# Postgres: start the cluster when it is down; CI must run the Postgres tests, never skip them.
export CEM_TEST_PG_URL="${CEM_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "== starting PostgreSQL"
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! python3 - <<'PY'
import os, sys
from sqlalchemy import create_engine, text
try:
    with create_engine(os.environ["CEM_TEST_PG_URL"]).connect() as c:
        c.execute(text("SELECT 1"))
except Exception as exc:  # noqa: BLE001
    print(f"postgres not usable as {os.environ['CEM_TEST_PG_URL']}: {exc}", file=sys.stderr)
    sys.exit(1)
PY
then
  # A stock Debian cluster wants a password over TCP: give the postgres role one and a test database.
  echo "== configuring PostgreSQL for the tests"
  as_postgres psql -q -c "ALTER USER postgres PASSWORD 'postgres'"
  as_postgres psql -q -tc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 || as_postgres createdb test
  export CEM_TEST_PG_URL="postgresql+psycopg://postgres:postgres@127.0.0.1:5432/test"
fi

echo "== ruff"
python3 -m ruff check .
echo "== pytest"
set +e
python3 -m pytest -n 2 --dist worksteal "$@"
status=$?
set -e
[ "$status" -eq 5 ] && { echo "no tests were collected" >&2; exit 1; }
exit "$status"
