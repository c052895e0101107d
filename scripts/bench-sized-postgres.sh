#!/usr/bin/env bash
# Runs the benchmark against a private PostgreSQL sized as a production server would be
# (shared_buffers a quarter of the memory, max_wal_size 16GB, checkpoint_timeout 15min; the
# same durability: fsync and synchronous_commit on), instead of the machine's shared one with
# Debian's defaults (shared_buffers 128MB, max_wal_size 1GB). The server lives in a temporary
# folder on a free loopback port and is stopped and removed afterwards; the shared services
# are not touched. Arguments go to the benchmark, e.g.
#   scripts/bench-sized-postgres.sh --pin --out /tmp/bench-sized
# When the MariaDB stages run (copy-mysql, worker-mysql: all stages, or an --only naming one),
# a private MariaDB is started the same way (innodb_buffer_pool_size a quarter of the memory,
# innodb_log_file_size 2GB, the same durability: innodb_flush_log_at_trx_commit=1;
# local_infile=1 for LOAD DATA LOCAL INFILE) and named to the benchmark in
# NOMNOM_TEST_MYSQL_URL.
# NOMNOM_BENCH_PROGRAM runs an already built nomnom-bench instead of `cargo run --release`
# (the smoke test does so with its debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
# The flags the test suite builds with, so the shared cache is reused.
export RUSTFLAGS="${RUSTFLAGS:--D warnings}"

bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=$(mktemp -d /tmp/nomnom-bench-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
memory_mib=$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)
shared_mib=$((memory_mib / 4))

as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else sh -c "$*"; fi
}

# Whether the arguments run a MariaDB stage: every stage runs without --only.
wants_mariadb() {
  local previous=""
  for arg in "$@"; do
    if [ "$previous" = "--only" ]; then
      case ",$arg," in *-mysql,*) return 0 ;; *) return 1 ;; esac
    fi
    previous=$arg
  done
  return 0
}

mariadb_dir=""
mariadb_pid=""
cleanup() {
  as_postgres "$bin/pg_ctl -D $dir/data -m fast stop" >/dev/null 2>&1 || true
  rm -rf "$dir"
  if [ -n "$mariadb_pid" ]; then
    kill "$mariadb_pid" 2>/dev/null || true
    wait "$mariadb_pid" 2>/dev/null || true
  fi
  # An `if`, not `[ ... ] && ...`: the trap's last status would become the script's.
  if [ -n "$mariadb_dir" ]; then rm -rf "$mariadb_dir"; fi
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] && chown postgres "$dir"
as_postgres "$bin/initdb -D $dir/data -A trust -U postgres" >"$dir/initdb.log"
as_postgres "$bin/pg_ctl -D $dir/data -l $dir/server.log -w start -o \"-p $port -k $dir \
  -c listen_addresses=127.0.0.1 -c shared_buffers=${shared_mib}MB -c max_wal_size=16GB \
  -c checkpoint_timeout=15min -c fsync=on -c synchronous_commit=on\"" >/dev/null
echo "[bench] private PostgreSQL on 127.0.0.1:$port, shared_buffers=${shared_mib}MB" >&2

export NOMNOM_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"

if wants_mariadb "$@"; then
  mariadb_dir=$(mktemp -d /tmp/nomnom-bench-mariadb.XXXXXX)
  mariadb_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_mysql=()
  if [ "$(id -u)" = 0 ]; then
    chown mysql:mysql "$mariadb_dir"
    as_mysql=(--user=mysql)
  fi
  mariadb-install-db --datadir="$mariadb_dir/data" --auth-root-authentication-method=normal \
    --skip-test-db "${as_mysql[@]}" >"$mariadb_dir/install.log" 2>&1
  server=$(command -v mariadbd || command -v mysqld)
  "$server" --no-defaults --datadir="$mariadb_dir/data" --port="$mariadb_port" \
    --bind-address=127.0.0.1 --socket="$mariadb_dir/mysqld.sock" \
    --pid-file="$mariadb_dir/mysqld.pid" --log-error="$mariadb_dir/server.log" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
    --innodb-buffer-pool-size="${shared_mib}M" --innodb-log-file-size=2G \
    --innodb-flush-log-at-trx-commit=1 --local-infile=1 --max-connections=200 \
    --skip-log-bin "${as_mysql[@]}" >/dev/null 2>&1 &
  mariadb_pid=$!
  for _ in $(seq 1 300); do
    if mariadb-admin --protocol=tcp -h 127.0.0.1 -P "$mariadb_port" -u root ping >/dev/null 2>&1; then
      break
    fi
    kill -0 "$mariadb_pid" 2>/dev/null || { cat "$mariadb_dir/server.log" >&2; exit 1; }
    sleep 0.2
  done
  mariadb-admin --protocol=tcp -h 127.0.0.1 -P "$mariadb_port" -u root ping >/dev/null
  echo "[bench] private MariaDB on 127.0.0.1:$mariadb_port, innodb_buffer_pool_size=${shared_mib}M" >&2
  export NOMNOM_TEST_MYSQL_URL="mysql://root@127.0.0.1:$mariadb_port/mysql"
fi
if [ -n "${NOMNOM_BENCH_PROGRAM:-}" ]; then
  "$NOMNOM_BENCH_PROGRAM" "$@"
else
  cargo run --release -p nomnom-bench -- "$@"
fi
