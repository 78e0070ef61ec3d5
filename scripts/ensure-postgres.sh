#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432: starts the local cluster if it is
# stopped, installs Debian's package if there is none. The tests create their own database.
set -euo pipefail
ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
if command -v pg_isready >/dev/null 2>&1 && ready; then echo "postgres: running"; exit 0; fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "postgres: installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
version="$(ls /etc/postgresql | sort -V | tail -n1)"
if ! pg_lsclusters -h | grep -q .; then pg_createcluster "$version" main >/dev/null; fi
conf="/etc/postgresql/$version/main/pg_hba.conf"
# Local trust auth for the test user, as the machine's own cluster has.
if ! grep -q "causeway-ci" "$conf"; then
  printf '# causeway-ci\nhost all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust\n' | cat - "$conf" > "$conf.new" && mv "$conf.new" "$conf"
  chown postgres:postgres "$conf"
fi
pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster --skip-systemctl-redirect "$version" main reload
for _ in $(seq 1 30); do ready && { echo "postgres: started"; exit 0; }; sleep 1; done
echo "postgres: did not become ready" >&2; exit 1
