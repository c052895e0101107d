#!/usr/bin/env bash
# Runs the benchmark against a private PostgreSQL sized as a production server would be
# (shared_buffers a quarter of the memory, max_wal_size 16GB, checkpoint_timeout 15min; the
# same durability: fsync and synchronous_commit on), instead of the machine's shared one with
# Debian's defaults (shared_buffers 128MB, max_wal_size 1GB). The server lives in a temporary
# folder on a free loopback port and is stopped and removed afterwards; the shared services
# are not touched. Arguments go to the benchmark, e.g.
#   scripts/bench-sized-postgres.sh --pin --out /tmp/bench-sized
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

cleanup() {
  as_postgres "$bin/pg_ctl -D $dir/data -m fast stop" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] && chown postgres "$dir"
as_postgres "$bin/initdb -D $dir/data -A trust -U postgres" >"$dir/initdb.log"
as_postgres "$bin/pg_ctl -D $dir/data -l $dir/server.log -w start -o \"-p $port -k $dir \
  -c listen_addresses=127.0.0.1 -c shared_buffers=${shared_mib}MB -c max_wal_size=16GB \
  -c checkpoint_timeout=15min -c fsync=on -c synchronous_commit=on\"" >/dev/null
echo "[bench] private PostgreSQL on 127.0.0.1:$port, shared_buffers=${shared_mib}MB" >&2

export NOMNOM_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
if [ -n "${NOMNOM_BENCH_PROGRAM:-}" ]; then
  "$NOMNOM_BENCH_PROGRAM" "$@"
else
  cargo run --release -p nomnom-bench -- "$@"
fi
