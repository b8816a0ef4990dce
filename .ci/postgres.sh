#!/usr/bin/env bash
# Install (if needed) and start Debian's PostgreSQL on 127.0.0.1:5432 with a test role.
# Prints the CTI_TEST_DATABASE_URL to use. Idempotent.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
pg_ctlcluster "$version" main start 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done
su postgres -c "psql -q -v ON_ERROR_STOP=1 -p 5432" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cti_test') THEN
    CREATE ROLE cti_test LOGIN CREATEDB PASSWORD 'cti_test';
  END IF;
END $$;
SQL
su postgres -c "psql -q -p 5432 -tc \"SELECT 1 FROM pg_database WHERE datname='cti_test'\"" | grep -q 1 \
  || su postgres -c "createdb -p 5432 -O cti_test cti_test"
echo "postgresql+asyncpg://cti_test:cti_test@127.0.0.1:5432/cti_test"
