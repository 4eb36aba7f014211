#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster beside it, then stops and removes the cluster.
#
#   scripts/with-postgres.sh swift test
#
# The cluster lives in a temporary folder, listens on 127.0.0.1 at a free port and on a unix socket in that
# folder, trusts local connections, and runs as a non-root user (postgres when started as root). The command
# sees its address in DECLUTTERD_TEST_POSTGRES (postgres://USER@127.0.0.1:PORT/postgres); the PostgreSQL
# cases of the tests run against it. Without PostgreSQL's programs (Debian: apt-get install postgresql) the
# command runs alone and those cases are skipped, saying why.
set -euo pipefail

bin_dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin_dir" ] || [ ! -x "$bin_dir/initdb" ]; then
  echo "with-postgres: no PostgreSQL server programs found (apt-get install postgresql); running without" >&2
  exec "$@"
fi

cluster=$(mktemp -d /tmp/declutterd-pg.XXXXXX)
chmod 755 "$cluster"
run_as=()
user=$(id -un)
if [ "$(id -u)" = 0 ]; then
  user=postgres
  chown "$user" "$cluster"
  run_as=(runuser -u "$user" --)
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop_cluster() {
  "${run_as[@]}" "$bin_dir/pg_ctl" -D "$cluster/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$cluster"
}
trap stop_cluster EXIT

"${run_as[@]}" "$bin_dir/initdb" -D "$cluster/data" -U "$user" --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
# In the cluster's own configuration, so that a test stopping and starting it (pg_ctl -D DATA start) gets the same
# address. fsync stays on: the tests check durability, and a cluster that lies about it would prove nothing.
cat >> "$cluster/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$cluster'
max_connections = 600
shared_buffers = 64MB
CONF
# -t 120: pg_ctl's own wait (60 s by default) is for a machine that is not busy.
"${run_as[@]}" "$bin_dir/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 120 start >/dev/null

export DECLUTTERD_TEST_POSTGRES="postgres://$user@127.0.0.1:$port/postgres"
export DECLUTTERD_TEST_POSTGRES_BIN="$bin_dir"
export DECLUTTERD_TEST_POSTGRES_DATA="$cluster/data"
echo "with-postgres: PostgreSQL $("$bin_dir/postgres" --version | awk '{print $3}') at $DECLUTTERD_TEST_POSTGRES" >&2
set +e
"$@"
status=$?
set -e
exit $status
